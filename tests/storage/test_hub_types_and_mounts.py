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
from hubtypes.storage.mounts import Layout, plan_mounts, progress_messages

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
