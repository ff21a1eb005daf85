"""The authorization matrix as a table; who a token is comes from its scopes alone."""

from __future__ import annotations

import pytest

from hubtypes.services.workshop.authz import (
    ADMIN_ONLY,
    ADMIN_SCOPE,
    INSTRUCT_SCOPE,
    Action,
    Identity,
    allowed,
    visible,
)

ADMIN = Identity("boss", scopes=frozenset({ADMIN_SCOPE}), owner_admin=True)
OPERATOR = Identity("ops", kind="service", scopes=frozenset({ADMIN_SCOPE}))
TEACH_A = Identity("teach-a", scopes=frozenset({INSTRUCT_SCOPE}))
NO_SCOPE = Identity("teach-a")  # an instructor whose role was withdrawn
PARTICIPANT = Identity("a-001", scopes=frozenset({INSTRUCT_SCOPE}))  # scope, no workshop

INSTRUCTS = {"teach-a": {"a"}, "a-001": set()}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("workshop", ["a", "b"])
def test_matrix(action, workshop):
    for admin in (ADMIN, OPERATOR):
        assert allowed(admin, action, workshop, set())
    teach = allowed(TEACH_A, action, workshop, INSTRUCTS["teach-a"])
    if action in ADMIN_ONLY:
        assert not teach
    elif action is Action.list:
        assert teach
    else:
        assert teach == (workshop == "a")
    assert not allowed(NO_SCOPE, action, workshop, INSTRUCTS["teach-a"])
    assert not allowed(PARTICIPANT, action, workshop, INSTRUCTS["a-001"])


def test_reopening_a_purged_workshop_is_for_admins_only():
    assert Action.reopen in ADMIN_ONLY
    assert not allowed(TEACH_A, Action.reopen, "a", INSTRUCTS["teach-a"])


def test_visible():
    assert visible(ADMIN, {"a", "b"}, set()) == {"a", "b"}
    assert visible(TEACH_A, {"a", "b"}, {"a"}) == {"a"}
    assert visible(NO_SCOPE, {"a", "b"}, {"a"}) == set()


def test_identity_from_model():
    ident = Identity.from_model(
        {"name": "x", "kind": "user", "admin": False, "scopes": [ADMIN_SCOPE]}
    )
    assert ident.is_admin and not ident.may_instruct


@pytest.mark.parametrize(
    "scopes",
    [
        # what an admin's single-user server gets (the 'server' role, expanded by the hub)
        ["access:servers!server=boss/", "users:activity!user=boss"],
        ["read:users"],
        ["access:services!service=workshop", "read:users:name!user=boss"],
        # a filtered custom scope is not the scope
        ["custom:workshops:admin!user=boss", "custom:workshops:instruct!group=x"],
    ],
)
def test_an_admins_narrow_token_is_narrow(scopes):
    """The owner's admin flag never authorises: the hub's model of a token answers
    ``admin`` for its owner whatever the token may do (read:users:name includes it,
    jupyterhub/apihandlers/base.py ``user_model``)."""
    ident = Identity.from_model({"name": "boss", "kind": "user", "admin": True, "scopes": scopes})
    assert ident.owner_admin and not ident.is_admin and not ident.may_instruct
    for action in Action:
        assert not allowed(ident, action, "a", {"a"})
    assert visible(ident, {"a", "b"}, {"a"}) == set()
