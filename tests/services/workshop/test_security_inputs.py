"""Bad query arguments, URLs in the log, long name lists and self-service, on a real hub.

Issue 10, findings 8, 10 and 11:

- a bad query argument is a 400 naming it, never a 500, and no URL reaches the log with
  its query's values (tornado logs a failed request with its full URI,
  tornado/web.py ``RequestHandler.log_exception`` / ``_request_summary``);
- a list of usernames costs a few hub requests, not one per name (the hub's ``GET /users``
  takes ``name_filter``, a substring, and pages of at most 200: jupyterhub/apihandlers/
  users.py, the same in 5.5.1 and 6.1.1), and one request names at most 1000;
- nobody but an admin changes their own account's expiry or disabled flag.

The tests share one hub with the service for the module (no test here changes its config):
each has a workshop and usernames of its own, and reads only the log lines it caused.
"""

from __future__ import annotations

import re

import pytest
import requests
import svchub

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def sh(module_hub_factory, tmp_path_factory):
    return svchub.start(module_hub_factory, tmp_path_factory.mktemp("security-inputs"))


def service_log(sh: svchub.ServiceHub, since: int = 0) -> str:
    """The service's lines of the hub's log (a managed service logs to the hub's output)
    from offset ``since`` of its text on (``len(sh.hub.log_text())`` when a test began)."""
    text = sh.hub.log_text()[since:]
    return "\n".join(line for line in text.splitlines() if "/services/" in line)


def test_bad_query_arguments_are_400_and_urls_are_logged_redacted(sh):
    since = len(sh.hub.log_text())  # the log of the module's earlier tests is not ours
    sh.workshop("bad")
    sh.accounts("--workshop", "bad", "--count", "1")
    secret = "0123456789abcdef" * 4  # what a hub token looks like
    bad = [
        ("GET", "audit?limit=abc", "limit"),
        ("GET", "audit?limit=0", "limit"),
        ("GET", "workshops/bad/audit?limit=99999", "limit"),
        ("GET", "workshops/bad/accounts?format=xml", "format"),
        ("POST", "workshops/bad/accounts?format=pdf", "format"),
        ("POST", "workshops/bad/reset?dry_run=maybe", "dry_run"),
    ]
    for method, path, field in bad:
        r = sh.call(method, f"{path}&token={secret}", json={"count": 1})
        assert (r.status_code, r.json()["field"]) == (400, field), (path, r.text)
        assert re.search(r"must be|give \d", r.json()["message"]), r.text  # says the fix
    r = sh.call("POST", "workshops/bad/reset?dry_run=true", json={"include_instructors": "perhaps"})
    assert (r.status_code, r.json()["field"]) == (400, "include_instructors"), r.text
    # a page: its query's options are checked the same way
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss-bad")
    admin = sh.login(boss)
    r = sh.page(admin, f"w/bad/reset?include_shared_folders=perhaps&token={secret}")
    assert r.status_code == 400 and "include_shared_folders" in r.text
    # a refusal tornado logs (a 403 raised with a message) carries the URI
    narrow = sh.hub.api(
        "POST", f"/users/{boss}/tokens", json={"scopes": ["read:users"], "note": "narrow"}
    ).json()["token"]
    r = requests.get(sh.service + f"w/bad?token={secret}&code=also-secret", timeout=30,
                     headers={"Authorization": f"token {narrow}"})  # fmt: skip
    assert r.status_code == 403

    log = service_log(sh, since)
    assert secret not in log and "also-secret" not in log
    assert "500 GET" not in log and "Uncaught exception" not in log
    # the log still says which request it was, with the harmless arguments
    assert re.search(r"400 GET /services/workshop/api/audit\?limit=abc&token=\[redacted\]", log)
    assert re.search(r"403 GET /services/workshop/w/bad\?token=\[redacted\]&code=\[redacted\]", log)


def count_user_lookups(log: str) -> int:
    """Requests the hub logged for GET /hub/api/users... (one line each, at DEBUG/INFO)."""
    return len(re.findall(r"\d{3} GET /hub/api/users[/?]", log))


def test_a_long_name_list_costs_a_few_hub_requests_and_is_capped(sh):
    sh.workshop("names")
    sh.hub.api("POST", "/users/carol")  # a community user
    sh.hub.api("POST", "/users", json={"usernames": [f"r-{i:04d}" for i in range(1, 41)]})

    # more than the cap: 400 naming the field and the cap, before anything is asked
    names = [f"n-{i:04d}" for i in range(2000)]
    r = sh.call("POST", "workshops/names/accounts", json={"usernames": names})
    assert (r.status_code, r.json()["field"]) == (400, "usernames"), r.text
    assert "2000 names" in r.json()["message"] and "at most 1000" in r.json()["message"]

    def lookups(body: dict) -> tuple[requests.Response, int]:
        before = count_user_lookups(sh.hub.log_text())
        r = sh.call("POST", "workshops/names/accounts", json=body)
        return r, count_user_lookups(sh.hub.log_text()) - before

    # 1000 names with a common prefix: one filtered listing (a page or two), not 1000 lookups
    r, asked = lookups({"usernames": [f"p-{i:04d}" for i in range(1000)]})
    assert r.status_code == 201, r.text
    assert len(r.json()["credentials"]) == 1000
    assert asked <= 3, asked
    print(f"\n1000 usernames: {asked} hub request(s)")
    # without one: a listing of every hub user, still a few pages
    r, asked = lookups({"usernames": ["zed", "carol2", "xavier", "yan", "walt", "umar"]})
    assert r.status_code == 201 and asked <= 3, (r.text, asked)
    # the check still finds the hub's users, by either route
    for body in (
        {"usernames": [f"r-{i:04d}" for i in range(30, 60)]},  # r-0030..r-0040 exist
        {"usernames": ["carol", "bob", "ann", "dave", "erin", "fay", "gus"]},
        {"usernames": ["carol"]},  # a few names: asked one by one
    ):
        r = sh.call("POST", "workshops/names/accounts", json=body)
        assert (r.status_code, r.json()["field"]) == (400, "usernames"), r.text
        assert "already hub users" in r.json()["message"]
    assert "r-0030" in r.text or "carol" in r.text


def test_nobody_but_an_admin_changes_their_own_expiry_or_disabled_flag(sh):
    sh.workshop("own")
    [teach] = sh.accounts("--workshop", "own", "--role", "instructor", "--usernames", "teach-own")
    [other] = sh.accounts("--workshop", "own", "--count", "1")
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss-own")
    session = sh.login(teach)
    sh.login(boss)
    t_teach, t_boss = sh.token(teach), sh.token(boss)
    # an admin sets the instructor's expiry
    r = sh.call("PATCH", f"workshops/own/accounts/{teach}", t_boss, json={"expires": "+2h"})
    assert r.status_code == 200, r.text
    set_by_admin = r.json()["expires_at"]

    for body in ({"expires": None}, {"expires": "+30h"}, {"disabled": False},
                 {"disabled": True}):  # fmt: skip
        r = sh.call("PATCH", f"workshops/own/accounts/{teach}", t_teach, json=body)
        assert r.status_code == 403, (body, r.text)
        assert "their own account" in r.json()["message"] and "admin" in r.json()["message"]
    # the page's form too
    page = sh.page(session, "w/own")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    r = session.post(sh.service + f"w/own/accounts/{teach}", timeout=30,
                     data={"action": "enable", "_xsrf": xsrf})  # fmt: skip
    assert r.status_code == 403 and "their own account" in r.text
    accounts = {
        a["username"]: a for a in sh.call("GET", "workshops/own/accounts").json()["accounts"]
    }
    assert accounts[teach]["expires_at"] == set_by_admin and not accounts[teach]["disabled"]

    # the instructor still manages the others, and an admin the instructor's account
    r = sh.call("PATCH", f"workshops/own/accounts/{other}", t_teach, json={"expires": "+3h"})
    assert r.status_code == 200, r.text
    r = sh.call("PATCH", f"workshops/own/accounts/{teach}", t_boss, json={"expires": None})
    assert r.status_code == 200 and r.json()["expires_at"] is None
