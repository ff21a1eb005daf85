"""Lifecycle decisions and workshop status as tables, with an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.lifecycle.workshops import (
    WorkshopStatus,
    group_properties,
    workshop_actions,
    workshop_status,
)
from hubtypes.records import AccountView, WorkshopView

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
H = timedelta(hours=1)
PY = WorkshopView("py", "Python", T0, T0 + 8 * H, T0 + 48 * H)


@pytest.mark.parametrize(
    ("now", "purged", "status"),
    [
        (T0 - H, False, WorkshopStatus.upcoming),
        (T0, False, WorkshopStatus.running),
        (T0 + 8 * H - timedelta(seconds=1), False, WorkshopStatus.running),
        (T0 + 8 * H, False, WorkshopStatus.locked),
        (T0 + 48 * H, False, WorkshopStatus.purge_due),
        (T0 + 480 * H, False, WorkshopStatus.purge_due),  # the service was down: catch up
        (T0 + 480 * H, True, WorkshopStatus.purged),
        (T0 - H, True, WorkshopStatus.purged),  # reset early by an admin
    ],
)
def test_workshop_status(now, purged, status):
    assert workshop_status(PY, now, purged=purged) is status


def test_group_properties_mirror_the_workshop():
    props = group_properties(PY, WorkshopStatus.running)
    assert props["hub_type"] == "workshop" and props["workshop"] == "py"
    assert props["status"] == "running" and props["ends_at"].startswith("2026-12-01T17:00")


def a(name, role="participant", expires=None, disabled=False, ws=PY):
    return AccountView(name, role, ws, expires_at=expires, disabled=disabled)


ACCOUNTS = [
    a("p1"),
    a("p2", expires=T0 + 2 * H),  # own, earlier lock
    a("p3", expires=T0 + 20 * H),  # extended past the workshop's end
    a("p4", disabled=True),
    a("teach", "instructor"),
    a("boss", "admin", ws=None),
]


@pytest.mark.parametrize(
    ("now", "locked", "purged", "resetting", "lock", "unlock", "purge"),
    [
        (T0 + H, set(), set(), set(), ["p4"], [], []),
        (T0 + 3 * H, {"p4"}, set(), set(), ["p2"], [], []),
        (T0 + 9 * H, {"p2", "p4"}, set(), set(), ["p1"], [], []),
        # p3 was locked, then extended: forget the mark so it locks again later
        (T0 + 9 * H, {"p1", "p2", "p3", "p4"}, set(), set(), [], ["p3"], []),
        (T0 + 21 * H, {"p1", "p2", "p4"}, set(), set(), ["p3"], [], []),
        # purge date: lock whoever is left, and purge
        (T0 + 49 * H, {"p1", "p2", "p3", "p4"}, set(), set(), [], [], ["py"]),
        (T0 + 49 * H, set(), set(), {"py"}, ["p1", "p2", "p3", "p4"], [], []),
        # purged: nothing more to do, ever
        (T0 + 90 * H, set(), {"py"}, set(), [], [], []),
        # instructors and admins are not locked by the workshop's end
        (T0 + 30 * H, {"p1", "p2", "p3", "p4"}, set(), set(), [], [], []),
    ],
)
def test_decide(now, locked, purged, resetting, lock, unlock, purge):
    actions = workshop_actions(
        [PY], ACCOUNTS, locked=locked, purged=purged, resetting=resetting, now=now
    )
    assert list(actions.lock) == lock
    assert list(actions.unlock) == unlock
    assert list(actions.purge) == purge


def test_nothing_to_do_is_empty():
    actions = workshop_actions([], [], locked=set(), purged=set(), resetting=set(), now=T0)
    assert actions.empty
