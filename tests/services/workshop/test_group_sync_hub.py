"""Workshop groups are written by the workshop service in bulk, not by the hub at login.

Against a real hub with the service (tests/svchub.py), sharing one hub for the module (no
test here changes its config). What the hub does with an auth model's ``groups`` is read
from jupyterhub/handlers/base.py ``auth_to_user`` (5.5.1 and 6.1.1 alike): with
``manage_groups`` on, ``None`` skips ``User.sync_groups`` (jupyterhub/user.py), which is
what logs "Adding user NAME to group(s)"; a group POST logs "Adding N users to group G"
(jupyterhub/apihandlers/groups.py) and answers 400 "No such user: NAME" for a name the hub
does not have.
"""

from __future__ import annotations

import pytest
import requests
import svchub
from sqlalchemy import update

from hubtypes.db.database import Database
from hubtypes.db.models import Account

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def sh(module_hub_factory, tmp_path_factory):
    sh = svchub.start(module_hub_factory, tmp_path_factory.mktemp("group-sync"))
    sh.workshop("gs")
    return sh


def members(sh, group: str) -> set[str]:
    r = sh.hub.api("GET", f"/groups/{group}")
    return set(r.json()["users"]) if r.status_code == 200 else set()


def login_lines(sh, name: str) -> list[str]:
    """The hub's log lines of its login-time group sync for ``name``."""
    marker = f"Adding user {name} to group(s)"
    return [line for line in sh.hub.log_text().splitlines() if marker in line]


def test_participant_joins_the_group_after_login_not_during_it(sh):
    [ann, bob] = sh.accounts("--workshop", "gs", "--count", "2")
    sh.login(ann)
    # the login itself changed no group: no sync_groups ran for ann
    assert login_lines(sh, ann) == []
    # the service adds her within its tick (2 s by default); bob never logged in
    svchub.wait_for(lambda: ann in members(sh, "workshop-gs"), 30, "ann in workshop-gs")
    assert sh.hub.api("GET", f"/users/{ann}").json()["groups"] == ["workshop-gs"]
    assert bob not in members(sh, "workshop-gs")
    assert sh.hub.api("GET", f"/users/{bob}").status_code == 404
    assert login_lines(sh, ann) == []
    # the same in the admin panel's source: the group model lists her
    assert "Adding 1 users to group workshop-gs" in sh.hub.log_text()


def test_instructor_has_the_role_at_the_first_login(sh):
    [teach] = sh.accounts("--workshop", "gs", "--role", "instructor", "--usernames", "gs-teach")
    s = sh.login(teach)
    # right after login, before any service pass: the login put the instructor in the
    # static group that carries the role, and in the workshop's groups
    assert sorted(sh.hub.api("GET", f"/users/{teach}").json()["groups"]) == [
        "hubtypes-instructors",
        "workshop-gs",
        "workshop-gs-instructors",
    ]
    assert len(login_lines(sh, teach)) == 1
    # so the service's pages open at once
    r = sh.page(s, "")
    assert r.status_code == 200 and "GS" in r.text, r.status_code


def test_a_name_the_hub_does_not_have_is_left_for_later(sh):
    """An account row says "logged in" but the hub has no user (the hub creates it just
    after the authenticator returns): the hub's 400 must not hold up the others."""
    [ghost, cid] = sh.accounts("--workshop", "gs", "--usernames", "gs-ghost,gs-cid")
    db = Database(sh.db_url)
    with db.session() as session:
        session.execute(
            update(Account)
            .where(Account.username == ghost)
            .values(last_login_at=Account.created_at)
        )
    db.dispose()
    sh.login(cid)
    svchub.wait_for(lambda: cid in members(sh, "workshop-gs"), 30, "cid in workshop-gs")
    assert ghost not in members(sh, "workshop-gs")
    # a name the hub lacked is left alone (not asked about at every pass) until the
    # account logs in again
    assert sh.hub.api("POST", f"/users/{ghost}").status_code == 201
    sh.login(ghost)
    svchub.wait_for(lambda: ghost in members(sh, "workshop-gs"), 30, "ghost in workshop-gs")


def test_members_added_by_hand_are_kept_and_a_reset_ignores_the_group(sh):
    """Nobody is removed: an admin's hand-added member stays. The reset plan comes from
    hubtypes' accounts: a participant who is not (yet) in the group is still deleted."""
    sh.workshop("gt")
    [dee, eve] = sh.accounts("--workshop", "gt", "--count", "2")
    sh.login(dee)  # the first login's pass makes the groups of a workshop the CLI made
    svchub.wait_for(lambda: dee in members(sh, "workshop-gt"), 30, "dee in workshop-gt")
    assert sh.hub.api("POST", "/users/carol").status_code == 201
    r = sh.hub.api("POST", "/groups/workshop-gt/users", json={"users": ["carol"]})
    assert r.status_code == 200, r.text
    # a later pass (eve's) adds eve and leaves carol
    sh.login(eve)
    svchub.wait_for(lambda: eve in members(sh, "workshop-gt"), 30, "eve in workshop-gt")
    assert "carol" in members(sh, "workshop-gt")
    # a participant who logged in but is not in the group (removed by hand) is planned too
    r = sh.hub.api("DELETE", "/groups/workshop-gt/users", json={"users": [eve]})
    assert r.status_code == 200, r.text
    plan = sh.call("POST", "workshops/gt/reset?dry_run=true", json={}).json()["plan"]
    assert {u["name"] for u in plan["delete"]} == {dee, eve}
    assert {k["name"] for k in plan["keep"]} == {"carol"}
    with requests.Session() as s:
        assert sh.hub.login(s, "carol", "x").status_code == 403  # carol has no code
