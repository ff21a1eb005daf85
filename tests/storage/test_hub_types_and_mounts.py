"""Pure decisions: hub type resolution, policy overrides, mounts, environment, messages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.records import AccountView, WorkshopView
from hubtypes.storage.hub_types import (
    DEFAULT_POLICIES,
    HubType,
    ResolverConfig,
    SpawnRefused,
    StorageAction,
    apply_overrides,
    resolve,
    spawn_environment,
)
from hubtypes.storage.mounts import (
    Layout,
    home_subpath,
    own_home,
    plan_mounts,
    progress_messages,
    upgraded_state,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
WS = WorkshopView(
    slug="python-101",
    title="Python 101",
    starts_at=NOW - timedelta(days=1),
    ends_at=NOW + timedelta(days=1),
    delete_after=NOW + timedelta(days=8),
)
D = timedelta(days=1)
OVER = WorkshopView("old", "Old", NOW - 9 * D, NOW - 8 * D, NOW - D)
LOCKED = WorkshopView("done", "Done", NOW - 3 * D, NOW - timedelta(hours=1), NOW + 6 * D)


def account(role: str = "participant", ws: WorkshopView | None = WS, **kw: object) -> AccountView:
    return AccountView(username="alice", role=role, workshop=ws, **kw)  # type: ignore[arg-type]


C, W, B = HubType.community, HubType.workshop, HubType.binder


@pytest.mark.parametrize(
    "default, unassigned, acct, expected_type, expected_role",
    [
        # no hubtypes account: the hub's default type
        (C, "community", None, C, ""),
        (B, "community", None, B, ""),
        # a workshop member is a workshop user on every hub
        (C, "community", account(), W, "participant"),
        (B, "community", account(), W, "participant"),
        (W, "community", account(), W, "participant"),
        (C, "community", account("instructor"), W, "instructor"),
        (C, "community", account("admin"), W, "instructor"),
        # accounts without a workshop (hubtypes admins) and strangers on a workshop hub
        (W, "community", account("admin", ws=None), C, ""),
        (W, "binder", None, B, ""),
        (C, "refuse", None, C, ""),  # 'refuse' only matters on a workshop hub
        # instructors keep access after the lock time, until the delete date
        (C, "community", account("instructor", ws=LOCKED), W, "instructor"),
    ],
)
def test_resolution_table(default, unassigned, acct, expected_type, expected_role):
    res = resolve(ResolverConfig(default, unassigned), "alice", acct, NOW)
    assert res.hub_type == expected_type
    assert res.role == expected_role
    assert res.policy == DEFAULT_POLICIES[expected_type]
    assert bool(res.workshop_dir) == (expected_type == W)


@pytest.mark.parametrize(
    "default, unassigned, acct, message",
    [
        (C, "community", account(disabled=True), "disabled"),
        (C, "community", account(ws=LOCKED), "ended on"),
        (C, "community", account(expires_at=NOW - timedelta(minutes=1)), "ended on"),
        (C, "community", account("instructor", ws=OVER), "scheduled for deletion"),
        (W, "refuse", None, "does not belong to a workshop"),
        (W, "refuse", account("admin", ws=None), "does not belong to a workshop"),
    ],
)
def test_refusals_and_deletion_time_resolution(default, unassigned, acct, message):
    config = ResolverConfig(default, unassigned)
    with pytest.raises(SpawnRefused, match=message):
        resolve(config, "alice", acct, NOW)
    # deciding what to delete never refuses: it only says where the storage is
    res = resolve(config, "alice", acct, NOW, check_access=False)
    assert res.user_dir == "alice"


def test_account_expiry_overrides_workshop_end():
    early = NOW + timedelta(hours=2)
    res = resolve(ResolverConfig(), "alice", account(expires_at=early), NOW)
    assert res.locks_at == early


def test_overrides_validated_and_applied():
    p = apply_overrides(
        DEFAULT_POLICIES,
        {
            "community": {"on_delete": "archive", "environment": {"X": 1}},
            "workshop": {"shared": False},
        },
    )
    assert p[C].on_delete == StorageAction.archive and p[C].environment == {"X": "1"}
    assert p[W].shared is False and p[W].materials is True
    assert p[B] == DEFAULT_POLICIES[B]
    for bad, msg in [
        ({"lab": {}}, "unknown hub type 'lab'"),
        ({"binder": {"size": 1}}, "unknown policy field"),
        ({"binder": {"on_delete": "shred"}}, "keep, archive or delete"),
        ({"binder": {"on_stop": "archive"}}, "cannot be 'archive'"),
        # a workshop home lasts the workshop (and sits beside its _materials and _shared)
        ({"workshop": {"on_stop": "delete"}}, "workshop.on_stop cannot be 'delete'"),
    ]:
        with pytest.raises(ValueError, match=msg):
            apply_overrides(DEFAULT_POLICIES, bad)


def _mounts(acct, default=C, name="alice"):
    res = resolve(ResolverConfig(default), name, acct, NOW)
    return res, plan_mounts(res, Layout("/home/jovyan"))


def test_mounts_per_type_and_role():
    _, m = _mounts(None)
    assert [(x.kind, x.subpath, x.target, x.read_only, x.ephemeral) for x in m] == [
        ("home", "community/alice", "/home/jovyan", False, False)
    ]
    _, m = _mounts(None, default=B)
    assert [(x.kind, x.subpath, x.ephemeral) for x in m] == [
        ("home", "binder/alice/_default", True)
    ]
    _, m = _mounts(account())
    assert [(x.kind, x.subpath, x.target, x.read_only) for x in m] == [
        ("home", "workshops/python-101/alice", "/home/jovyan", False),
        ("materials", "workshops/python-101/_materials", "/home/jovyan/materials", True),
        ("shared", "workshops/python-101/_shared", "/home/jovyan/shared", False),
    ]
    _, m = _mounts(account("instructor"))
    assert [x.read_only for x in m] == [False, False, False]
    # an odd username is a hashed slug, never a path
    _, m = _mounts(account(), name="../Alice")
    assert m[0].subpath.startswith("workshops/python-101/alice--")


def test_environment_and_messages():
    res, m = _mounts(account())
    env = spawn_environment(res)
    assert env == {
        "HUBTYPES_TYPE": "workshop",
        "HUBTYPES_ROLE": "participant",
        "HUBTYPES_WORKSHOP": "python-101",
        "HUBTYPES_WORKSHOP_TITLE": "Python 101",
        "HUBTYPES_LOCKS_AT": "2026-11-25T12:00:00+00:00",
        "HUBTYPES_DELETE_AFTER": "2026-12-02T12:00:00+00:00",
    }
    assert [msg for _, msg in progress_messages(res, m)] == [
        "Preparing your home for workshop Python 101",
        "Mounting workshop materials (read-only)",
        "Mounting the workshop's shared folder (read-write)",
    ]
    res, m = _mounts(None)
    assert spawn_environment(res)["HUBTYPES_TYPE"] == "community"
    assert spawn_environment(res)["HUBTYPES_DELETE_AFTER"] == ""
    res, m = _mounts(None, default=B)
    assert "temporary home" in progress_messages(res, m)[0][1]


COMMUNITY_EPHEMERAL = {"community": {"on_stop": "delete"}}
BINDER_KEPT = {"binder": {"on_stop": "keep"}}


@pytest.mark.parametrize(
    "default, overrides, acct, server, expected, ephemeral",
    [
        # homes that persist: one per user, shared by all of the user's servers
        (C, {}, None, "", "community/alice", False),
        (C, {}, None, "two", "community/alice", False),
        (C, {}, account(), "", "workshops/python-101/alice", False),
        (C, {}, account(), "two", "workshops/python-101/alice", False),
        # binder: one per server, the default server's is _default
        (B, {}, None, "", "binder/alice/_default", True),
        (B, {}, None, "two", "binder/alice/two", True),
        (B, {}, None, "Two Words", "binder/alice/two-words--", True),
        (B, BINDER_KEPT, None, "two", "binder/alice/two", False),  # persisting: as it was
        # an operator's on_stop: delete makes community homes ephemeral: one per server, so
        # stopping one server never deletes the home another server of the user is using
        (C, COMMUNITY_EPHEMERAL, None, "", "community/alice/_default", True),
        (C, COMMUNITY_EPHEMERAL, None, "two", "community/alice/two", True),
        (W, COMMUNITY_EPHEMERAL, account("admin", ws=None), "", "community/alice/_default", True),
        # ... and leaves the workshop users of that hub alone
        (C, COMMUNITY_EPHEMERAL, account(), "two", "workshops/python-101/alice", False),
    ],
)
def test_home_per_server_table(default, overrides, acct, server, expected, ephemeral):
    config = ResolverConfig(default, policies=apply_overrides(DEFAULT_POLICIES, overrides))
    res = resolve(config, "alice", acct, NOW)
    home = plan_mounts(res, Layout(), server)[0]
    assert home.subpath.startswith(expected) and home.ephemeral is ephemeral
    assert home_subpath(res, server) == home.subpath
    stored = {"type": res.hub_type.value, "home": home.subpath, "workshop": res.workshop_dir,
              "user": res.user_dir}  # fmt: skip
    # what stop() may delete: a home deleted on stop is always the server's own
    assert (own_home(stored, server) == home.subpath) is (ephemeral or res.hub_type == B)


def test_every_deleted_on_stop_home_is_its_servers_own():
    # exhaustive over hub types x on_stop x servers: two servers of one user never share a
    # home that either of them deletes when it stops
    for hub_type in (C, B):
        for on_stop in ("keep", "delete"):
            policies = apply_overrides(DEFAULT_POLICIES, {hub_type.value: {"on_stop": on_stop}})
            res = resolve(ResolverConfig(hub_type, policies=policies), "alice", None, NOW)
            homes = {s: plan_mounts(res, Layout(), s)[0] for s in ("", "a", "b", "_default")}
            for s, m in homes.items():
                if m.ephemeral:
                    others = [o.subpath for t, o in homes.items() if t != s]
                    assert all(not o.startswith(m.subpath) for o in others), (hub_type, s)


@pytest.mark.parametrize(
    "stored, server, expected",
    [
        # binder, before homes per server: every server of the user ran in binder/{user}
        ({"type": "binder", "home": "binder/bea", "workshop": "", "user": "bea"}, "",
         "binder/bea/_default"),
        ({"type": "binder", "home": "binder/bea", "workshop": "", "user": "bea"}, "two",
         "binder/bea/two"),
        # written by this version: unchanged
        ({"type": "binder", "home": "binder/bea/two", "workshop": "", "user": "bea"}, "two",
         "binder/bea/two"),
        ({"type": "community", "home": "community/bea", "workshop": "", "user": "bea"}, "two",
         "community/bea"),
        ({"type": "workshop", "home": "workshops/py/bea", "workshop": "py", "user": "bea"}, "",
         "workshops/py/bea"),
        # malformed: never made into a path, never trusted blindly
        ({"type": "binder", "home": "binder/"}, "", "binder/"),
        ({"type": "binder", "home": "binder/..", "workshop": "", "user": ".."}, "", "binder/.."),
    ],
)  # fmt: skip
def test_old_states_are_upgraded_to_the_servers_own_home(stored, server, expected):
    assert upgraded_state(stored, server)["home"] == expected
    assert {k: v for k, v in upgraded_state(stored, server).items() if k != "home"} == {
        k: v for k, v in stored.items() if k != "home"
    }


def test_own_home_of_a_malformed_state_is_none():
    assert own_home({"type": "binder"}, "") is None
    assert own_home({"type": "binder", "user": "../x"}, "") is None
    assert own_home({"type": "workshop", "workshop": "py", "user": "bea"}, "two") == (
        "workshops/py/bea/two"
    )


def test_a_temporary_home_is_announced_as_such():
    config = ResolverConfig(C, policies=apply_overrides(DEFAULT_POLICIES, COMMUNITY_EPHEMERAL))
    res = resolve(config, "alice", None, NOW)
    assert "temporary home" in progress_messages(res, plan_mounts(res))[0][1]
    res = resolve(ResolverConfig(C), "alice", None, NOW)
    assert progress_messages(res, plan_mounts(res))[0][1] == "Preparing your home"
