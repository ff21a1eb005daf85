"""The workshop service as a managed service of a real hub: accounts, authorization, locks.

The tests share one hub with the service for the module (no test here changes its config):
each has workshops and usernames of its own (a; m and n; k).
"""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import requests
import svchub

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def sh(module_hub_factory, tmp_path_factory):
    return svchub.start(module_hub_factory, tmp_path_factory.mktemp("service-hub"))


def test_accounts_groups_and_bad_input(sh):
    body = {"slug": "a", "title": "A", "starts": "+0s", "ends": "+1d", "delete_after": "+2d"}
    r = sh.call("POST", "workshops", json={**body, "instructors": ["teach-a"]})
    assert r.status_code == 201, r.text
    assert [c["username"] for c in r.json()["credentials"]] == ["teach-a"]
    # the workshop is mirrored in its hub group's properties (manage_groups does not block it)
    group = sh.hub.api("GET", "/groups/workshop-a").json()
    assert group["properties"]["status"] == "running"
    assert group["properties"]["hub_type"] == "workshop"

    r = sh.call("POST", "workshops/a/accounts", json={"count": 5})
    assert r.status_code == 201, r.text
    creds = r.json()["credentials"]
    assert [c["username"] for c in creds] == [f"a-00{i}" for i in range(1, 6)]
    assert all(len(c["code"]) >= 16 for c in creds)
    r = sh.call("POST", "workshops/a/accounts?format=csv", json={"count": 2, "prefix": "x-"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert r.status_code == 201 and [row["username"] for row in rows] == ["x-001", "x-002"]
    # no hub user yet: they come into being at first login
    assert sh.hub.api("GET", "/users/a-001").status_code == 404

    # a code from the API logs in; the participant lands in the workshop's group (the
    # service adds them within its group_sync_interval, not the login)
    sh.codes.update({c["username"]: c["code"] for c in creds})
    sh.login("a-001")
    svchub.wait_for(
        lambda: sh.hub.api("GET", "/users/a-001").json()["groups"] == ["workshop-a"],
        30,
        "a-001 in workshop-a",
    )
    # and the account listing shows the login
    listing = {a["username"]: a for a in sh.call("GET", "workshops/a/accounts").json()["accounts"]}
    assert listing["a-001"]["last_login_at"] and not listing["a-002"]["last_login_at"]
    # the export says each person's dates, as their card did (issue 11, item 7)
    ws = sh.call("GET", "workshops/a").json()
    export = sh.call("GET", "workshops/a/accounts?format=csv")
    exported = {row["username"]: row for row in csv.DictReader(io.StringIO(export.text))}
    assert export.status_code == 200 and exported["a-002"]["status"] == "active"
    assert exported["a-002"]["access_ends"] == listing["a-002"]["access_ends"] == ws["ends_at"]
    assert exported["a-002"]["files_deleted_after"] == ws["delete_after"]

    # bad input: 4xx naming the field, and nothing created
    sh.hub.api("POST", "/users/carol")  # a community user
    bad = [
        ("POST", "workshops/a/accounts", {"count": 0}, 400, "count"),
        ("POST", "workshops/a/accounts", {"count": 10_001}, 400, "count"),
        ("POST", "workshops/a/accounts", {"count": "3"}, 400, "count"),
        ("POST", "workshops/a/accounts", {"count": 2, "prefix": "Bad Prefix"}, 400, "prefix"),
        ("POST", "workshops/a/accounts", {"usernames": ["ok-1", "ok-1"]}, 400, "usernames"),
        ("POST", "workshops/a/accounts", {"usernames": ["a-002"]}, 409, "usernames"),
        ("POST", "workshops/a/accounts", {"usernames": ["carol"]}, 400, "usernames"),
        ("POST", "workshops/a/accounts", {"count": 1, "expires": "2001-01-01"}, 400, "expires"),
        ("POST", "workshops/a/accounts", {"count": 1, "role": "admin"}, 400, "role"),
        ("POST", "workshops/nope/accounts", {"count": 1}, 404, "workshop"),
        ("POST", "workshops", {**body, "slug": "b", "ends": "2001-01-01"}, 400, "ends"),
        ("POST", "workshops", {**body, "slug": "b", "delete_after": "+1h"}, 400, "delete-after"),
        ("POST", "workshops", {**body, "slug": "B!"}, 400, "slug"),
        ("POST", "workshops", body, 409, "slug"),
        # an account the workshop does not have: 404 naming the username, not a 500
        ("PATCH", "workshops/a/accounts/nobody", {"disabled": True}, 404, "username"),
        ("PATCH", "workshops/nope/accounts/a-001", {"disabled": True}, 404, "workshop"),
    ]
    for method, path, payload, status, field in bad:
        r = sh.call(method, path, json=payload)
        assert (r.status_code, r.json()["field"]) == (status, field), (payload, r.text)
    r = sh.call("POST", "workshops/a/accounts", data=b"{not json")
    assert r.status_code == 400 and r.json()["field"] == "body"
    accounts = sh.call("GET", "workshops/a/accounts").json()["accounts"]
    assert len(accounts) == 8  # teach-a, a-001..005, x-001..002: nothing half-created

    # extend and disable
    r = sh.call("PATCH", "workshops/a/accounts/a-002", json={"expires": "+3d"})
    assert r.status_code == 400 and r.json()["field"] == "expires"  # after the purge
    r = sh.call("PATCH", "workshops/a/accounts/a-002", json={"expires": "+36h"})
    assert r.status_code == 200 and r.json()["expires_at"]
    r = sh.call("PATCH", "workshops/a/accounts/a-002", json={"disabled": True})
    assert r.json()["status"] == "locked"
    r = sh.call("PATCH", "workshops/a", json={"title": "A, renamed", "ends": "+30h"})
    assert r.status_code == 200 and r.json()["title"] == "A, renamed"
    assert sh.hub.api("GET", "/groups/workshop-a").json()["properties"]["title"] == "A, renamed"
    actions = [e["action"] for e in sh.call("GET", "workshops/a/audit").json()["events"]]
    for expected in ("workshop.create", "accounts.create", "account.update", "workshop.update"):
        assert expected in actions
    # no code in the hub's or the service's log
    log = sh.hub.log_text()
    assert not [c for c in creds if c["code"] in log]


def test_authorization_matrix(sh):
    for slug in ("m", "n"):
        sh.workshop(slug)
        sh.accounts("--workshop", slug, "--count", "2")
    sh.accounts("--workshop", "m", "--role", "instructor", "--usernames", "teach-m")
    sh.accounts("--role", "admin", "--usernames", "boss-m")
    teach = sh.login("teach-m")
    participant = sh.login("m-001")
    admin = sh.login("boss-m")
    # the instructor holds the instruct scope through the role on the static group
    assert "hubtypes-instructors" in sh.hub.api("GET", "/users/teach-m").json()["groups"]
    t_teach, t_part, t_admin = sh.token("teach-m"), sh.token("m-001"), sh.token("boss-m")

    names = [w["slug"] for w in sh.call("GET", "workshops", t_teach).json()["workshops"]]
    assert names == ["m"]
    every = {w["slug"] for w in sh.call("GET", "workshops", t_admin).json()["workshops"]}
    assert {"m", "n"} <= every  # and those of the module's other tests
    calls = [
        ("GET", "workshops/{w}", None),
        ("GET", "workshops/{w}/accounts", None),
        ("GET", "workshops/{w}/accounts?format=csv", None),
        ("POST", "workshops/{w}/accounts", {"count": 1}),
        ("PATCH", "workshops/{w}/accounts/{w}-002", {"expires": "+3h"}),
        ("PATCH", "workshops/{w}", {"title": "x"}),
        ("GET", "workshops/{w}/audit", None),
    ]
    for method, path, body in calls:
        for w in ("m", "n"):
            r = sh.call(method, path.format(w=w), t_teach, json=body)
            assert r.status_code == (403 if w == "n" else r.status_code) and r.status_code < 500
            if w == "m":
                assert r.status_code in (200, 201), (method, path, r.text)
            assert sh.call(method, path.format(w=w), t_part, json=body).status_code == 403
            assert sh.call(method, path.format(w=w), t_admin, json=body).status_code < 300
    for w in ("m", "n"):  # resets and the hub-wide audit log are for admins only
        r = sh.call("POST", f"workshops/{w}/reset?dry_run=true", t_teach, json={})
        assert r.status_code == 403
    assert sh.call("GET", "audit", t_teach).status_code == 403
    assert sh.call("POST", "workshops", t_teach, json={"slug": "c"}).status_code == 403
    assert sh.call("GET", "workshops", t_part).status_code == 403
    assert sh.call("GET", "workshops", "not-a-token").status_code == 401

    # pages, through the hub's OAuth: the same rules
    assert sh.page(teach, "w/m").status_code == 200
    for path in ("w/n", "w/n/audit", "w/m/reset", "w/n/reset", "new", "audit"):
        r = sh.page(teach, path)
        assert r.status_code == 403 and "not allowed" in r.text, path
    r = sh.post_form(teach, "w/m", {"count": "1"})  # the form on m's page ...
    r = teach.post(sh.service + "w/n/accounts", data={"count": "1", "_xsrf": "x"}, timeout=30)
    assert r.status_code == 403  # ... cannot reach n
    assert sh.page(participant, "").status_code == 403
    assert sh.page(participant, "w/m").status_code == 403
    assert sh.page(admin, "w/n/reset").status_code == 200
    # a form without its _xsrf is refused
    r = admin.post(sh.service + "w/m/accounts", data={"count": "1"}, timeout=30)
    assert r.status_code == 403
    # the Services menu shows the service to instructors and admins
    home = teach.get(sh.hub.url + "hub/home", timeout=30).text
    assert "/services/workshop/" in home
    assert "/services/workshop/" not in participant.get(sh.hub.url + "hub/home", timeout=30).text


def test_lock_at_expiry_stops_servers_and_deletes_tokens(sh):
    sh.workshop("k")
    # the account locks a few seconds after the set-up, however long spawning takes here
    [early] = sh.accounts("--workshop", "k", "--usernames", "early", "--expires", "+1h")
    [stays] = sh.accounts("--workshop", "k", "--usernames", "stays")
    for name in (early, stays):
        sh.login(name)
    token = sh.token(early)
    assert sh.hub.api("POST", f"/users/{early}/server").status_code in (201, 202)
    assert sh.hub.api("POST", f"/users/{early}/servers/second").status_code in (201, 202)

    def ready():
        servers = sh.hub.api("GET", f"/users/{early}").json()["servers"]
        return len(servers) == 2 and all(s["ready"] for s in servers.values())

    svchub.wait_for(ready, 60, "two servers")
    assert requests.get(sh.hub.url + "hub/api/user", headers={"Authorization": f"token {token}"},
                        timeout=30).status_code == 200  # fmt: skip
    sh.call("POST", "lifecycle")  # locks what the module's other tests left to lock
    assert sh.call("POST", "lifecycle").json()["lock"] == []
    r = sh.call("PATCH", f"workshops/k/accounts/{early}", json={"expires": "+3s"})
    assert r.status_code == 200, r.text
    svchub.wait_for(
        lambda: time.sleep(1) or sh.call("POST", "lifecycle").json()["lock"], 40, "lock"
    )
    model = sh.hub.api("GET", f"/users/{early}").json()
    assert model["servers"] == {}, model["servers"]
    assert sh.hub.api("GET", f"/users/{early}/tokens").json()["api_tokens"] == []
    r = requests.get(sh.hub.url + "hub/api/user", headers={"Authorization": f"token {token}"},
                     timeout=30)  # fmt: skip
    assert r.status_code == 403
    events = sh.call("GET", "workshops/k/audit").json()["events"]
    lock = [e for e in events if e["action"] == "accounts.lock"]
    assert lock and lock[0]["details"]["usernames"] == [early]
    # locked once: the next pass does nothing; the other participant is untouched
    assert sh.call("POST", "lifecycle").json()["lock"] == []
    assert sh.hub.api("GET", f"/users/{stays}/tokens").status_code == 200
    # the operator's log says what happened, in the hub's format, at INFO
    log = sh.hub.log_text()
    assert re.search(
        r"\[I [\d-]+ [\d:.]+ hubtypes\.services\.workshop resets:\d+\] "
        rf"Workshop 'k': locked 1 account\(s\) at their lock time .*: {early}",
        log,
    ), log[-3000:]
