"""The reset plan as tables, and its safety properties under hypothesis."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubtypes.lifecycle.reset_plan import HubUser, ResetOptions, plan_reset
from hubtypes.records import AccountView, WorkshopView

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
PY = WorkshopView("py", "Python", T0, T0 + timedelta(days=2), T0 + timedelta(days=9))
R = WorkshopView("r", "R", T0, T0 + timedelta(days=2), T0 + timedelta(days=9))
GROUP = "workshop-py"


def acct(name: str, role: str = "participant", ws: WorkshopView | None = PY) -> AccountView:
    return AccountView(username=name, role=role, workshop=ws)


ACCOUNTS = [
    acct("py-001"),
    acct("py-002"),
    acct("py-003"),  # never logged in
    acct("teach", "instructor"),
    acct("boss", "admin", None),
    acct("r-001", ws=R),
]
HUB = [
    HubUser("py-001", groups=(GROUP,), servers=("",)),
    HubUser("py-002", groups=(GROUP,), servers=("", "extra")),
    HubUser("teach", groups=(GROUP, "workshop-py-instructors")),
    HubUser("boss", admin=True),
    HubUser("r-001", groups=("workshop-r",), servers=("",)),
    HubUser("carol", groups=(GROUP,)),  # community user added to the group by hand
    HubUser("py-999", admin=True, groups=(GROUP,)),  # an admin in the group
]


@pytest.mark.parametrize(
    ("options", "deleted", "kept"),
    [
        (
            ResetOptions(),
            ["py-001", "py-002", "py-003"],
            {"carol": "no account", "teach": "instructor (not chosen)", "py-999": "no account"},
        ),
        (
            ResetOptions(include_instructors=True),
            ["py-001", "py-002", "py-003", "teach"],
            {"carol": "no account", "py-999": "no account"},
        ),
    ],
)
def test_plan_table(options, deleted, kept):
    plan = plan_reset("py", ACCOUNTS, HUB, options, group=GROUP)
    assert plan.usernames == deleted
    assert {k.name: k.reason for k in plan.keep}.keys() == kept.keys()
    for k in plan.keep:
        assert kept[k.name] in k.reason
    by_name = {u.name: u for u in plan.delete}
    assert by_name["py-002"].servers == ("", "extra")
    assert not by_name["py-003"].hub_user and by_name["py-001"].hub_user
    assert plan.counts()["running_servers"] == 3
    assert by_name["py-001"].home == "workshops/py/py-001"


def test_admin_with_a_participant_account_is_kept():
    plan = plan_reset("py", [acct("ann")], [HubUser("ann", admin=True)], group=GROUP)
    assert plan.usernames == [] and plan.keep[0].reason == "hub admin"


def test_shared_folders_kept_unless_chosen():
    kept = plan_reset("py", ACCOUNTS, HUB, group=GROUP)
    assert kept.storage_kept == ("workshops/py/_materials", "workshops/py/_shared")
    assert "workshops/py/_shared" not in kept.storage_removed
    gone = plan_reset("py", ACCOUNTS, HUB, ResetOptions(include_shared_folders=True))
    assert gone.storage_kept == ()
    assert "workshops/py/_materials" in gone.storage_removed


def test_empty_plan_after_everything_is_gone():
    plan = plan_reset("py", [acct("teach", "instructor")], [], group=GROUP)
    assert plan.empty and plan.to_json()["counts"]["delete"] == 0


names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
roles = st.sampled_from(["participant", "instructor", "admin"])
workshops = st.sampled_from([PY, R, None])


@given(
    accounts=st.lists(st.tuples(names, roles, workshops), max_size=25),
    hub=st.lists(st.tuples(names, st.booleans(), st.booleans(), st.booleans()), max_size=25),
    instructors=st.booleans(),
)
def test_plan_never_deletes_outside_the_workshop_admins_or_community(accounts, hub, instructors):
    views = {}
    for name, role, ws in accounts:
        views.setdefault(name, acct(name, role, ws))
    hub_users = {}
    for name, admin, in_group, running in hub:
        hub_users.setdefault(
            name,
            HubUser(name, admin=admin, groups=(GROUP,) if in_group else (),
                    servers=("",) if running else ()),
        )  # fmt: skip
    plan = plan_reset(
        "py",
        views.values(),
        hub_users.values(),
        ResetOptions(include_instructors=instructors),
        group=GROUP,
    )
    for user in plan.delete:
        account = views.get(user.name)
        assert account is not None, "community user (no account) in the plan"
        assert account.workshop == PY, "user of another workshop in the plan"
        assert account.role != "admin"
        assert instructors or account.role == "participant"
        assert not hub_users.get(user.name, HubUser(user.name)).admin, "hub admin in the plan"
        assert user.home.startswith("workshops/py/")
    assert len(set(plan.usernames)) == len(plan.usernames)
    assert not set(plan.usernames) & {k.name for k in plan.keep}
