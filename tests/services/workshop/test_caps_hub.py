"""Instructors' powers capped, codes only for names the hub does not have, and group
names that cannot collide: against a real hub with the workshop service.

All but one test share a hub for the module, with an admin from the hub's config (which the
others do not mind); each has workshops and usernames of its own. The operator-setting test
starts its own.
"""

from __future__ import annotations

import subprocess

import clirun
import pytest
import svchub
from realhub import free_port

from hubtypes.db.database import Database
from hubtypes.db.queries.audit import select_audit

pytestmark = pytest.mark.hub


# an admin the hub knows from its config (the test's service may not make admins)
ROOT_ADMIN = "c.Authenticator.admin_users = {'root-admin'}"


@pytest.fixture(scope="module")
def sh(module_hub_factory, tmp_path_factory):
    return start_with(module_hub_factory, tmp_path_factory.mktemp("caps"), ROOT_ADMIN)


def audit_actions(sh: svchub.ServiceHub, target: str) -> list[str]:
    db = Database(sh.db_url)
    with db.session() as s:
        actions = [e.action for e in s.scalars(select_audit(target=target))]
    db.dispose()
    return actions


def test_an_instructor_cannot_purge_their_workshop_or_keep_it_forever(sh):
    sh.workshop("a", ends="+2d", purge="+9d")
    sh.accounts("--workshop", "a", "--role", "instructor", "--usernames", "teach-a")
    sh.login("teach-a")
    teach = sh.token("teach-a")

    refused = [
        # the finding: lock in 2 s and purge in 3 s, which the lifecycle carried out
        ({"ends": "+2s", "delete_after": "+3s"}, "delete-after", "no sooner than 24 hours"),
        ({"delete_after": "+23h", "ends": "+22h"}, "delete-after", "purge_notice_hours"),
        ({"delete_after": "2099-01-01"}, "delete-after", "max_grace_days"),
        ({"ends": "+30d", "delete_after": "+31d"}, "ends", "max_workshop_days"),
        # a 12-day window with 19 days' grace, within both caps, but set in 2099
        ({"starts": "2098-12-20", "ends": "2099-01-01", "delete_after": "2099-01-20"},
         "delete-after", "move the dates nearer"),
    ]  # fmt: skip
    for body, field, fragment in refused:
        r = sh.call("PATCH", "workshops/a", teach, json=body)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["field"] == field and fragment in r.json()["message"], r.text
    # nothing changed
    workshop = sh.call("GET", "workshops/a", teach).json()
    assert workshop["delete_after"] > workshop["ends_at"] and "2099" not in workshop["delete_after"]
    assert "2098" not in workshop["starts_at"] and "2099" not in workshop["ends_at"]
    # within the caps, the instructor may move the dates
    r = sh.call("PATCH", "workshops/a", teach, json={"ends": "+5d", "delete_after": "+20d"})
    assert r.status_code == 200, r.text

    # an admin may purge sooner than the notice: allowed, and audited as such
    r = sh.call("PATCH", "workshops/a", json={"ends": "+1h", "delete_after": "+2h"})
    assert r.status_code == 200, r.text
    assert "workshop.purge_advanced" in audit_actions(sh, "a")
    assert audit_actions(sh, "a").count("workshop.purge_advanced") == 1


def test_only_admins_add_instructors_when_the_operator_says_so(real_hub_factory, tmp_path):
    sh = start_with(real_hub_factory, tmp_path, 'c.JupyterHub.services[-1]["command"] += '
                    '["--WorkshopService.instructors_may_add_instructors=False"]')  # fmt: skip
    sh.workshop("a")
    sh.accounts("--workshop", "a", "--role", "instructor", "--usernames", "teach-a")
    sh.login("teach-a")
    teach = sh.token("teach-a")

    co = {"role": "instructor", "usernames": ["co-a"]}
    r = sh.call("POST", "workshops/a/accounts", teach, json=co)
    assert r.status_code == 403, r.text
    assert r.json()["field"] == "role"
    assert "instructors_may_add_instructors" in r.json()["message"], r.text
    accounts = sh.call("GET", "workshops/a/accounts").json()["accounts"]
    assert "co-a" not in {a["username"] for a in accounts}
    # participants they may still add; instructors are the admins' to add
    r = sh.call("POST", "workshops/a/accounts", teach, json={"usernames": ["ann-a"]})
    assert r.status_code == 201, r.text
    r = sh.call("POST", "workshops/a/accounts", json=co)
    assert r.status_code == 201, r.text
    roles = {
        a["username"]: a["role"] for a in sh.call("GET", "workshops/a/accounts").json()["accounts"]
    }
    assert roles == {"teach-a": "instructor", "ann-a": "participant", "co-a": "instructor"}


def test_no_route_issues_a_code_for_a_name_the_hub_has(sh):
    assert sh.hub.api("GET", "/users/root-admin").json()["admin"] is True
    assert sh.hub.api("POST", "/users/carol").status_code == 201  # a community user
    body = {"slug": "ref", "title": "R", "starts": "+0s", "ends": "+1d", "delete_after": "+2d"}

    # workshop creation with instructors: refused, and nothing created
    for name in ("carol", "root-admin"):
        r = sh.call("POST", "workshops", json={**body, "instructors": [name]})
        assert r.status_code == 400, r.text
        assert r.json()["field"] == "instructors" and name in r.json()["message"]
        assert "credentials" not in r.json()
    assert sh.call("GET", "workshops/ref").status_code == 404

    # the database route, asking the real hub
    sh.workshop("w")
    for name in ("carol", "root-admin"):
        r = cli(sh, "accounts", "create", "--workshop", "w", "--usernames", f"ann,{name}",
                "--hub-api-url", sh.hub.url + "hub/api", "--token", sh.hub.admin_token)  # fmt: skip
        assert r.returncode == 2 and r.stdout == "", r.stdout
        assert f"--usernames: already hub users: {name}" in r.stderr
    # numbered names step over hub users of the same pattern
    assert sh.hub.api("POST", "/users/w-001").status_code == 201
    assert sh.accounts("--workshop", "w", "--count", "2") == ["w-002", "w-003"]
    # another workshop's account is refused too
    r = cli(sh, "accounts", "create", "--workshop", "w", "--usernames", "w-002",
            "--hub-api-url", sh.hub.url + "hub/api", "--token", sh.hub.admin_token)  # fmt: skip
    assert r.returncode == 2 and "already exist: w-002" in r.stderr

    # a hub it cannot ask: refused by default, naming the way out
    unreachable = f"http://127.0.0.1:{free_port()}/hub/api"
    r = cli(sh, "accounts", "create", "--workshop", "w", "--usernames", "zed",
            "--hub-api-url", unreachable, "--token", "x")  # fmt: skip
    assert r.returncode == 2 and "cannot ask the hub" in r.stderr and "--skip-hub-check" in r.stderr
    # a token that cannot list every user would make taken names look free: refused
    sh.login("w-002")
    narrow = sh.token("w-002")
    r = cli(sh, "accounts", "create", "--workshop", "w", "--usernames", "carol",
            "--hub-api-url", sh.hub.url + "hub/api", "--token", narrow)  # fmt: skip
    assert r.returncode == 2 and "list:users" in r.stderr
    # the explicit override is the operator's call
    r = cli(sh, "accounts", "create", "--workshop", "w", "--usernames", "zed", "--skip-hub-check")
    assert r.returncode == 0, r.stderr
    # and carol never got a code: nobody can log in as her
    users = {u["name"]: u for u in sh.hub.api("GET", "/users").json()}
    assert users["root-admin"]["admin"] is True
    assert sh.call("GET", "workshops/w/accounts").json()["accounts"] and not any(
        a["username"] in ("carol", "root-admin")
        for a in sh.call("GET", "workshops/w/accounts").json()["accounts"]
    )


def test_workshop_and_instructor_groups_never_collide(sh):
    body = {"title": "GC", "starts": "+0s", "ends": "+1d", "delete_after": "+2d"}
    assert sh.call("POST", "workshops", json={**body, "slug": "gc"}).status_code == 201
    r = sh.call("POST", "workshops", json={**body, "slug": "gc-instructors"})
    assert r.status_code == 409 and r.json()["field"] == "slug", r.text
    assert "reserved" in r.json()["message"]
    # gc's instructors group keeps its properties
    group = sh.hub.api("GET", "/groups/workshop-gc-instructors").json()
    assert group["properties"]["instructors"] is True
    assert group["properties"]["workshop"] == "gc" and group["properties"]["title"] == "GC"
    # the command line refuses it the same way
    r = cli(sh, "workshop", "create", "gc-instructors", "--starts", "+0s", "--ends", "+1d",
            "--delete-after", "+2d")  # fmt: skip
    assert r.returncode == 2 and r.stderr.startswith("hubtypes: error: --slug:"), r.stderr
    assert sh.call("GET", "workshops/gc-instructors").status_code == 404


def start_with(factory, tmp_path, extra: str) -> svchub.ServiceHub:
    """svchub.start, with ``extra`` config for the hub."""
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    homes = tmp_path / "homes"
    homes.mkdir(exist_ok=True)
    clirun.db_upgrade(db_url)
    hub = factory(svchub.ServiceHub.config(db_url, homes) + extra + "\n")
    sh = svchub.ServiceHub(hub, db_url, tmp_path)
    sh.wait_service()
    return sh


def cli(sh: svchub.ServiceHub, *args: str) -> subprocess.CompletedProcess:
    return clirun.hubtypes(*args, "--db-url", sh.db_url)
