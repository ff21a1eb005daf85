"""The pure decisions of workshop grants, as tables: who may log in when, whose session ends,
which server is the workshop's, how typed identities become the hub's names, and what the
lock and purge do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.access.grants import (
    GrantView,
    IdentityKind,
    IdentityRules,
    Standing,
    check_identities,
    check_role,
    grant_refusals,
    keeps_session,
    login_decision,
    normalize_identity,
    parse_roster,
    with_instructors_group,
    workshop_account_for_server,
)
from hubtypes.errors import InputError
from hubtypes.lifecycle.grants import PurgeStep, grant_actions, lock_step, purge_step
from hubtypes.records import WorkshopView
from hubtypes.spawner.grants import owns_home

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
H = timedelta(hours=1)
PY = WorkshopView("py", "Python", T0, T0 + 8 * H, T0 + 48 * H)
BEFORE, DURING, LOCKED, PURGE = T0 - H, T0 + H, T0 + 9 * H, T0 + 49 * H


def grant(standing: Standing = Standing.unknown, **kw) -> GrantView:
    return GrantView("alice", PY, standing=standing, **kw)


@pytest.mark.parametrize(
    "base, has_grant, now, allowed, standing, says",
    [
        (True, False, DURING, True, None, ""),  # a community member, no workshop
        (True, True, LOCKED, True, Standing.community, ""),  # never locked out by a workshop
        (True, True, PURGE, True, Standing.community, ""),
        (False, False, DURING, False, None, ""),  # the base's refusal, unchanged
        (False, True, BEFORE, False, Standing.guest, "opens on"),
        (False, True, DURING, True, Standing.guest, ""),
        (False, True, LOCKED, False, Standing.guest, "Access ended"),
        (False, True, PURGE, False, Standing.guest, "expired"),
    ],
)
def test_login_decision(base, has_grant, now, allowed, standing, says):
    decision = login_decision(base, grant() if has_grant else None, now)
    assert (decision.allowed, decision.standing) == (allowed, standing)
    assert says in decision.message and bool(says) == bool(decision.message)


@pytest.mark.parametrize(
    "standing, now, keeps",
    [
        (Standing.guest, DURING, True),
        (Standing.guest, LOCKED, False),
        (Standing.community, LOCKED, True),
        (Standing.unknown, LOCKED, True),
    ],
)
def test_keeps_session(standing, now, keeps):
    assert keeps_session(grant(standing), now) is keeps
    assert keeps_session(None, LOCKED) is True


def test_own_end_overrides_the_workshop_lock():
    extended = grant(Standing.guest, expires_at=T0 + 12 * H)
    assert keeps_session(extended, LOCKED) is True
    assert login_decision(False, extended, LOCKED).allowed


@pytest.mark.parametrize(
    "standing, server, workshop",
    [
        (Standing.guest, "", True),  # a guest's default server is the workshop
        (Standing.guest, "other", True),
        (Standing.community, "", False),  # the community home stays the community's
        (Standing.community, "workshop-py", True),
        (Standing.community, "workshop-r", False),
        (Standing.unknown, "workshop-py", True),
        (Standing.unknown, "", False),
    ],
)
def test_which_server_is_the_workshops(standing, server, workshop):
    account = workshop_account_for_server(grant(standing), server)
    assert (account is not None) is workshop
    if account is not None:
        assert account.role == "participant" and account.workshop == PY
    assert workshop_account_for_server(None, "workshop-py") is None


@pytest.mark.parametrize(
    "stored, server, owns",
    [
        ({"type": "workshop", "workshop": "py"}, "workshop-py", True),
        ({"type": "workshop", "workshop": "py"}, "notes", False),
        ({"type": "workshop", "workshop": "py"}, "workshop-r", False),
        ({"type": "community", "workshop": ""}, "workshop-py", False),
    ],
)
def test_a_workshop_named_server_owns_its_home(stored, server, owns):
    assert owns_home(stored, server) is owns


@pytest.mark.parametrize(
    "raw, rules, name, noted",
    [
        ("alice", IdentityRules(), "alice", False),
        ("  Alice ", IdentityRules(), "alice", True),
        ("Alice@Example.ORG", IdentityRules(IdentityKind.email), "alice@example.org", True),
        ("Alice", IdentityRules(lowercase=False), "Alice", False),
        ("OldName", IdentityRules(username_map=(("oldname", "newname"),)), "newname", True),
    ],
)
def test_normalize_identity(raw, rules, name, noted):
    identity = normalize_identity(raw, rules)
    assert identity.name == name and bool(identity.notes) is noted


@pytest.mark.parametrize(
    "raw, rules, says",
    [
        ("", IdentityRules(), "empty"),
        ("bo b", IdentityRules(), "spaces"),
        ("a/b", IdentityRules(), "'/'"),
        ("alice@example.org", IdentityRules(IdentityKind.login), "is an email"),
        ("alice", IdentityRules(IdentityKind.email), "not an email"),
    ],
)
def test_identities_that_cannot_be_names(raw, rules, says):
    with pytest.raises(InputError) as e:
        normalize_identity(raw, rules)
    assert e.value.field == "identities" and says in e.value.message


def test_two_spellings_are_one_identity():
    [one] = check_identities(["Alice", " alice", "ALICE"])
    assert one.name == "alice" and one.notes[-1] == "also given as 'ALICE'"
    with pytest.raises(InputError):
        check_identities([])


@pytest.mark.parametrize(
    "text, identities",
    [
        ("alice\nBob\n\n# a comment\ncarol", ["alice", "Bob", "carol"]),
        ("alice, bob", ["alice", " bob"]),
        ("name,email\nAlice A,alice@x.org\nBob B,bob@x.org", ["alice@x.org", "bob@x.org"]),
        ("GitHub\nalice\nbob", ["alice", "bob"]),
        ("", []),
    ],
)
def test_parse_roster(text, identities):
    assert parse_roster(text) == identities


def test_grant_refusals_explain_each_name():
    refusals = grant_refusals(
        ["boss", "coded", "alice", "bob"],
        "py",
        admins=["boss"],
        accounts=["coded"],
        granted={"alice": "r", "bob": "py"},
    )
    said = {r.identity: r.message for r in refusals}
    assert set(said) == {"boss", "coded", "alice"}  # bob is already in py: not a refusal
    assert "hub admin" in said["boss"] and "access-code" in said["coded"]
    assert "'r'" in said["alice"]


def test_grant_actions_lock_unlock_purge():
    g = {
        "open": grant(Standing.guest),
        "due": GrantView("due", PY, standing=Standing.guest),
        "marked": GrantView("marked", PY, locked_at=LOCKED, expires_at=T0 + 30 * H),
    }
    actions = grant_actions(g.values(), LOCKED)
    assert [x.identity for x in actions.lock] == ["alice", "due"]
    assert [x.identity for x in actions.unlock] == ["marked"]
    assert grant_actions(g.values(), DURING).lock == ()
    assert len(grant_actions(g.values(), PURGE).purge) == 3


@pytest.mark.parametrize(
    "standing, running, stop, tokens",
    [
        (Standing.guest, {"", "x"}, ("", "x"), True),
        (Standing.community, {"", "workshop-py"}, ("workshop-py",), False),
        (Standing.community, {""}, (), False),
        (Standing.unknown, {"", "workshop-py"}, ("workshop-py",), False),
    ],
)
def test_lock_step(standing, running, stop, tokens):
    step = lock_step(grant(standing), running)
    assert (step.stop, step.delete_tokens) == (stop, tokens)


@pytest.mark.parametrize(
    "standing, hub_user, admin, servers, step",
    [
        (Standing.guest, True, False, {""}, PurgeStep.delete_user),
        (Standing.guest, True, True, {"", "workshop-py"}, PurgeStep.remove_server),  # admin now
        (Standing.guest, False, False, set(), PurgeStep.forget),
        (Standing.community, True, False, {"", "workshop-py"}, PurgeStep.remove_server),
        (Standing.community, True, False, {""}, PurgeStep.forget),
        (Standing.unknown, True, False, {""}, PurgeStep.forget),  # never deleted unseen
    ],
)
def test_purge_step(standing, hub_user, admin, servers, step):
    assert purge_step(grant(standing), hub_user=hub_user, admin=admin, servers=servers) is step


@pytest.mark.parametrize(
    "now, expires, allowed, keeps",
    [
        (BEFORE, None, True, True),  # staff: before the opening (to prepare)
        (DURING, None, True, True),
        (LOCKED, None, True, True),  # and after the lock (to extend a participant)
        (PURGE, None, True, True),  # until the lifecycle purges the grant
        (DURING, T0 + 2 * H, True, True),
        (LOCKED, T0 + 2 * H, False, False),  # only their grant's own end locks them
    ],
)
def test_an_instructor_guest_is_staff(now, expires, allowed, keeps):
    g = grant(Standing.guest, role="instructor", expires_at=expires)
    assert login_decision(False, g, now).allowed is allowed
    assert keeps_session(g, now) is keeps


def test_instructor_grants_lock_only_at_their_own_end_and_purge_with_the_workshop():
    teach = GrantView("teach", PY, standing=Standing.guest, role="instructor")
    ends = GrantView("ends", PY, standing=Standing.guest, role="instructor", expires_at=T0)
    actions = grant_actions([teach, ends], LOCKED)
    assert [g.identity for g in actions.lock] == ["ends"] and not actions.purge
    assert [g.identity for g in grant_actions([teach], PURGE).purge] == ["teach"]


@pytest.mark.parametrize(
    "value, role",
    [(None, "participant"), ("", "participant"), ("participant", "participant"),
     ("instructor", "instructor")],
)  # fmt: skip
def test_check_role(value, role):
    assert check_role(value) == role


@pytest.mark.parametrize("value", ["admin", "Instructor", 1, ["instructor"]])
def test_check_role_refuses(value):
    with pytest.raises(InputError) as e:
        check_role(value)
    assert e.value.field == "role" and "participant or instructor" in e.value.message


G = "hubtypes-instructors"


@pytest.mark.parametrize(
    "groups, instructor, result",
    [
        ([], True, [G]),
        (["team-a"], True, ["team-a", G]),
        (["team-a", G], True, ["team-a", G]),  # already there: once
        (["team-a", G], False, ["team-a"]),  # no longer instructs: out, the rest kept
        ([], False, []),
    ],
)
def test_with_instructors_group(groups, instructor, result):
    assert with_instructors_group(groups, G, instructor) == result
