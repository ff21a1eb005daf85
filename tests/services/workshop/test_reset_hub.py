"""Resets against a real hub: preview, purge on schedule, killed mid-way and resumed, no-op."""

from __future__ import annotations

import time

import pytest
import svchub

from hubtypes.db.database import Database
from hubtypes.db.queries.accounts import list_accounts
from hubtypes.db.queries.audit import select_audit
from hubtypes.db.queries.resets import latest_reset

pytestmark = pytest.mark.hub


def hub_users(sh) -> set[str]:
    return {u["name"] for u in sh.hub.api("GET", "/users?limit=200").json()}


def make_hub_users(sh, names: list[str], group: str) -> None:
    """Hub users as first logins leave them (created by the hub, in the workshop group)."""
    assert sh.hub.api("POST", "/users", json={"usernames": names}).status_code == 201
    r = sh.hub.api("POST", f"/groups/{group}/users", json={"users": names})
    assert r.status_code == 200, r.text


def wait_reset(sh, slug: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = sh.call("GET", f"workshops/{slug}/reset")
        if r.status_code == 200 and r.json()["state"] != "running":
            return r.json()
        time.sleep(0.3)
    raise AssertionError(f"reset of {slug} did not finish:\n{sh.hub.log_tail(80)}")


def test_reset_killed_midway_resumes_and_second_reset_is_a_noop(real_hub_factory, tmp_path):
    sh = svchub.start(real_hub_factory, tmp_path)
    sh.workshop("big")
    names = sh.accounts("--workshop", "big", "--count", "60")
    [teach] = sh.accounts("--workshop", "big", "--role", "instructor", "--usernames", "teach")
    sh.login(names[0])  # a real first login, the rest as the hub leaves them
    sh.login(teach)
    make_hub_users(sh, names[1:50], "workshop-big")  # 10 never logged in
    sh.hub.api("POST", "/users/carol")  # a community user, added to the group by hand
    sh.hub.api("POST", "/groups/workshop-big/users", json={"users": ["carol"]})
    assert sh.hub.api("POST", f"/users/{names[0]}/server").status_code in (201, 202)

    r = sh.call("POST", "workshops/big/reset?dry_run=true", json={})
    plan = r.json()["plan"]
    assert plan["counts"]["delete"] == 60 and plan["counts"]["hub_users"] == 50
    assert {k["name"] for k in plan["keep"]} == {"carol", teach}
    assert hub_users(sh) >= set(names[:50])  # a dry run changes nothing

    r = sh.call("POST", "workshops/big/reset", json={"confirm": "wrong"})
    assert r.status_code == 400 and r.json()["field"] == "confirm"

    # start, then kill the service half-way (SIGKILL: no chance to tidy up)
    r = sh.call("POST", "workshops/big/reset", json={"confirm": "big"})
    assert r.status_code == 202, r.text
    db = Database(sh.db_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.session() as session:
            progress = latest_reset(session, "big").progress
        if progress.get("deleted", 0) >= 5:
            break
        time.sleep(0.02)
    sh.kill_service()
    with db.session() as session:
        reset = latest_reset(session, "big")
        killed_at = dict(reset.progress)
        assert reset.state == "running"
    left = hub_users(sh) & set(names)
    assert 0 < len(left) < 50, f"not killed mid-way: {killed_at}, {len(left)} left"
    # a participant whose deletion has not happened yet can no longer log in
    still = sorted(left)[-1]
    assert "disabled" in (sh.hub.login(__import__("requests").Session(), still,
                                       sh.codes[still]).text)  # fmt: skip

    # the hub restarts (and with it the service), which resumes the reset
    sh.hub.restart()
    sh.wait_service()
    result = wait_reset(sh, "big")
    assert result["state"] == "done" and result["progress"]["deleted"] == 60
    assert hub_users(sh) & set(names) == set()
    assert {"carol", teach} <= hub_users(sh)
    with db.session() as session:
        accounts = {a.username for a in list_accounts(session, "big")}
        starts = [e for e in session.scalars(select_audit(target="big"))
                  if e.action == "reset.start"]  # fmt: skip
    assert accounts == {teach}
    assert len(starts) == 1

    # the group shows it purged; a second reset is a no-op; new accounts are refused
    # (the group is rewritten just after the reset records "done")
    svchub.wait_for(
        lambda: (
            sh.hub.api("GET", "/groups/workshop-big").json()["properties"]["status"] == "purged"
        ),
        10,
        "the group's status",
    )
    r = sh.call("POST", "workshops/big/reset", json={"confirm": "big"})
    assert r.status_code == 200 and r.json()["noop"] is True
    assert sh.call("POST", "workshops/big/accounts", json={"count": 1}).status_code == 409
    with db.session() as session:
        events = [e.action for e in session.scalars(select_audit(target="big"))]
    assert events.count("reset.start") == 1 and events.count("reset.done") == 1
    assert "reset.servers-stopped" in events and "reset.users-deleted" in events
    db.dispose()
    print(f"killed at {killed_at}")


def test_purge_on_schedule_catches_up_on_start(real_hub_factory, tmp_path):
    sh = svchub.start(real_hub_factory, tmp_path, interval=1)
    sh.workshop("soon", starts="+0s", ends="+1d", purge="+2d")
    sh.workshop("later")
    [p1, p2] = sh.accounts("--workshop", "soon", "--count", "2")
    [other] = sh.accounts("--workshop", "later", "--count", "1")
    sh.login(p1)
    sh.login(other)
    # the dates move close only once everyone logged in (a loaded machine takes its time
    # over the set-up: a lock before the login would refuse it)
    r = sh.call("PATCH", "workshops/soon", json={"ends": "+2s", "delete_after": "+4s"})
    assert r.status_code == 200, r.text
    t0 = time.monotonic()
    # the service is down when the purge date passes ...
    sh.kill_service()
    time.sleep(max(0.0, t0 + 5 - time.monotonic()))
    # ... and catches up when it comes back
    sh.hub.restart()
    sh.wait_service()
    result = wait_reset(sh, "soon")
    assert result["actor"] == "lifecycle" and result["state"] == "done"
    assert p1 not in hub_users(sh) and other in hub_users(sh)
    accounts = sh.call("GET", "workshops/soon/accounts").json()["accounts"]
    assert accounts == []
    workshops = {w["slug"]: w["status"] for w in sh.call("GET", "workshops").json()["workshops"]}
    assert workshops == {"soon": "purged", "later": "running"}
    assert p2 not in hub_users(sh)
