"""Who the workshop service adds to a workshop's hub groups: the pure decision.

hubtypes/lifecycle/memberships.py; the I/O around it is tested against a real hub in
test_group_sync_hub.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.access.names import GroupNames
from hubtypes.lifecycle.memberships import GroupChange, group_changes, held_for_burst
from hubtypes.records import AccountView, WorkshopView

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
PY = WorkshopView("py", "PY", NOW, NOW + timedelta(days=1), NOW + timedelta(days=2))
R = WorkshopView("r", "R", NOW, NOW + timedelta(days=1), NOW + timedelta(days=2))


def account(name: str, role: str = "participant", workshop: WorkshopView | None = PY, *,
            logged_in: bool = True, disabled: bool = False) -> AccountView:  # fmt: skip
    return AccountView(name, role, workshop, disabled=disabled,
                       last_login_at=NOW if logged_in else None)  # fmt: skip


ACCOUNTS = [
    account("ann"),
    account("bob", logged_in=False),  # no hub user yet: the hub would refuse the name
    account("cid", disabled=True),  # being reset: about to be deleted
    account("teach", "instructor"),
    account("boss", "admin", None),  # admins are in no workshop group
    account("rita", workshop=R),
]


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (
            {},
            {
                "workshop-py": GroupChange("py", ("ann", "teach")),
                "workshop-py-instructors": GroupChange("py", ("teach",)),
                "workshop-r": GroupChange("r", ("rita",)),
            },
        ),
        (  # only what is missing; a member with no account (carol, added by hand) stays
            {"workshop-py": {"ann", "carol"}, "workshop-py-instructors": {"teach"}},
            {
                "workshop-py": GroupChange("py", ("teach",)),
                "workshop-py-instructors": GroupChange("py", ()),
                "workshop-r": GroupChange("r", ("rita",)),
            },
        ),
    ],
)
def test_group_changes(current, expected):
    assert group_changes(ACCOUNTS, GroupNames(), current) == expected


def test_group_names_follow_the_templates():
    names = GroupNames("ws-{slug}", "ws-{slug}-staff")
    changes = group_changes(ACCOUNTS[:4], names, {})
    assert {g: c.add for g, c in changes.items()} == {
        "ws-py": ("ann", "teach"),
        "ws-py-staff": ("teach",),
    }


def test_nobody_logged_in_means_nothing_to_add():
    changes = group_changes([account("bob", logged_in=False)], GroupNames(), {})
    assert changes == {"workshop-py": GroupChange("py", ())}
    assert group_changes([], GroupNames(), {"workshop-py": {"carol"}}) == {}


@pytest.mark.parametrize(
    ("logged_in_ago", "added"),
    [
        (None, True),  # no settle time asked: everyone who logged in
        (timedelta(seconds=5), True),  # settled: the hub has made the user
        (timedelta(seconds=2), True),  # exactly at the bound
        (timedelta(seconds=1), False),  # just now: the hub may still be making it
        (timedelta(0), False),
    ],
)
def test_a_login_of_the_last_seconds_waits_a_pass(logged_in_ago, added):
    settled = NOW - timedelta(seconds=2)
    at = NOW - (logged_in_ago or timedelta(0))
    ann = AccountView("ann", "participant", PY, last_login_at=at)
    changes = group_changes(
        [ann], GroupNames(), {}, settled_before=settled if logged_in_ago is not None else None
    )
    assert changes == {"workshop-py": GroupChange("py", ("ann",) if added else ())}


def logins(*seconds_ago: float) -> tuple[list[AccountView], dict]:
    """Accounts p0, p1... that logged in that many seconds before NOW, all to be added."""
    accounts = [
        AccountView(f"p{i}", "participant", PY, last_login_at=NOW - timedelta(seconds=s))
        for i, s in enumerate(seconds_ago)
    ]
    return accounts, {"workshop-py": GroupChange("py", tuple(a.username for a in accounts))}


WINDOW, DELAY = timedelta(seconds=2), timedelta(seconds=30)


@pytest.mark.parametrize(
    ("seconds_ago", "held", "why"),
    [
        ([5] + [1] * 11, "p0-p11", "11 logins in the last 2 s: a burst; everyone waits"),
        ([1.9] * 11, "p0-p10", "11 within 2 s"),
        ([5] + [1] * 10, "", "10 within 2 s is a class arriving, not a burst"),
        ([2] * 11, "", "exactly 2 s ago is outside the window"),
        ([5] + [3] * 30, "", "30 logins, but none in the last 2 s: the burst is over"),
        ([29] + [1] * 11, "p0-p11", "waiting 29 s, under the 30 s bound"),
        ([31, 30] + [1] * 11, "p2-p12", "30 s and more: added, though the burst goes on"),
    ],
)
def test_group_additions_wait_for_a_login_burst(seconds_ago, held, why):
    accounts, changes = logins(*seconds_ago)
    first, _, last = held.partition("-")
    expected = {f"p{i}" for i in range(int(first[1:]), int(last[1:]) + 1)} if held else set()
    assert held_for_burst(accounts, changes, NOW, window=WINDOW, max_delay=DELAY) == expected, why


def test_a_burst_holds_back_only_names_to_add_and_nothing_with_a_zero_delay():
    accounts, changes = logins(5, *[1] * 20)
    # p1 is in the group already: only the others are held
    some = {"workshop-py": GroupChange("py", tuple(a.username for a in accounts[2:]))}
    held = held_for_burst(accounts, some, NOW, window=WINDOW, max_delay=DELAY)
    assert held == {a.username for a in accounts[2:]}
    nothing = {"workshop-py": GroupChange("py", ())}
    assert not held_for_burst(accounts, nothing, NOW, window=WINDOW, max_delay=DELAY)
    assert not held_for_burst(accounts, changes, NOW, window=WINDOW, max_delay=timedelta(0))
