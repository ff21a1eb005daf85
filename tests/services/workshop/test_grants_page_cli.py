"""Granting on a real OAuth hub: the Identities page's form (with its real _xsrf), a roster
CSV as the request body, ``hubtypes grants add|list|remove`` through the database and
through the service (``--hub-url``), instructor grants, and ``allow_existing_users``.

The hub and provider are tests/grantshub.py's (GenericOAuthenticator + WorkshopAccessMixin
against an authlib provider on loopback), here with ``allow_existing_users = True``.

Behaviour relied on, from the installed sources (jupyterhub 6.1.1; the same in 5.5.1):
jupyterhub/auth.py ``add_user`` adds every hub user to ``allowed_users`` when
``allow_existing_users`` (at each login creating a user, and for every user at start-up,
app.py ``init_users``), which the mixin undoes for guests; ``get_authenticated_user`` runs
``run_post_auth_hook`` after ``check_allowed``; handlers/base.py ``auth_to_user`` calls
``add_user`` for a user it creates; jupyterhub/user.py ``User.sync_groups``; roles given to
a group reach its members' tokens (the instructor role of 30-hubtypes-workshop-service.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grantshub
import pytest
import requests
from grantshub import move_dates, oauth_login, provider_fixture  # noqa: F401 (the provider fixture)

pytestmark = [pytest.mark.hub]

GROUP = "hubtypes-instructors"


def hubtypes(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubtypes.cli", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def groups(gh: grantshub.GrantsHub, name: str) -> list[str]:
    return list(gh.hub.api("GET", f"/users/{name}").json()["groups"])


def xsrf(page: requests.Response) -> str:
    match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert match, page.text[:2000]
    return match.group(1)


def post_csv(gh: grantshub.GrantsHub, token: str, body: str, query: str = ""):
    """A roster CSV as the request body (Content-Type text/csv), as a script would send it."""
    headers = {"Authorization": f"token {token}", "Content-Type": "text/csv"}
    url = gh.service + "api/workshops/py/grants" + query
    return requests.post(url, data=body.encode(), headers=headers, timeout=60)


def table(stdout: str) -> dict[str, list[str]]:
    """identity -> its row of ``hubtypes grants list`` (the header's columns)."""
    lines = [line.split() for line in stdout.strip().splitlines()]
    assert lines[0][:3] == ["identity", "role", "status"], stdout
    return {row[0]: row for row in lines[1:] if row and not set(row[0]) <= {"-"}}


def test_grant_form_roster_cli_and_instructors(real_hub_factory, provider, tmp_path: Path):
    gh = grantshub.start(
        real_hub_factory, provider, tmp_path, "c.Authenticator.allow_existing_users = True"
    )
    hub, db = gh.hub, ["--db-url", gh.db_url]
    gh.workshop("py")
    gh.workshop("r")

    # an operator makes an instructor from the shell (the database route), spelled loosely
    r = grants_without_hub = hubtypes(
        "grants", "add", "--workshop", "py", "--role", "instructor", " Teach", *db
    )
    assert r.returncode == 0, r.stderr
    assert "'Teach' is granted as 'teach': surrounding spaces removed; lowercased" in r.stderr
    assert "granted 1 identity" in r.stderr
    assert table(r.stdout)["teach"][1] == "instructor"
    r = hubtypes("grants", "add", "--workshop", "py", "boss@x", "--kind", "login", *db)
    assert r.returncode != 0 and "identities" in r.stderr and "email" in r.stderr, r.stderr
    # without the hub to ask, it says that admins were not checked; with it, refuses them
    assert "not checked against the hub's admins" in grants_without_hub.stderr
    assert hub.api("GET", "/users/boss").json()["admin"]  # admin_users in grantshub
    asking = ["--hub-api-url", hub.url + "hub/api", "--token", hub.admin_token]
    r = hubtypes("grants", "add", "--workshop", "py", "Boss", "dan", *db, *asking)
    assert r.returncode != 0 and "boss is a hub admin" in r.stderr, r.stderr
    assert "dan" not in {
        g["identity"] for g in gh.call("GET", "workshops/py/grants").json()["grants"]
    }
    r = hubtypes("grants", "add", "--workshop", "py", "dan", *db, *asking)
    assert r.returncode == 0 and "not checked" not in r.stderr, r.stderr
    assert hubtypes("grants", "remove", "--workshop", "py", "dan", *db).returncode == 0

    # a community member logs in before anyone makes them an instructor: no group
    carol, home = oauth_login(hub.url, "carol")
    assert home.url.endswith("/hub/home")
    assert GROUP not in groups(gh, "carol")

    # the instructor (a guest: only the grant lets them in) gets the service's instruct scope
    teach, home = oauth_login(hub.url, "teach")
    assert home.url.endswith("/hub/home"), (home.status_code, home.url)
    assert GROUP in groups(gh, "teach")
    page = teach.get(gh.service + "w/py/grants", timeout=60)
    assert page.status_code == 200 and 'id="ht-add-grants"' in page.text, page.text[:2000]
    assert teach.get(gh.service + "w/r/grants", timeout=60).status_code == 403

    # the page's form: names pasted and a roster uploaded, normalised and said so
    roster = "name,github\nDana Doe,Dana\nEve E,eve\n"
    r = teach.post(
        gh.service + "w/py/grants",
        data={"_xsrf": xsrf(page), "identities": "  Alice \nBOB\nalice", "expires": ""},
        files={"roster": ("roster.csv", roster, "text/csv")},
        timeout=60,
    )
    assert r.status_code == 201, r.text[:3000]
    assert 'id="ht-result"' in r.text and "Added 4" in r.text
    normalised = re.search(r'<ul class="mb-0" id="ht-normalised">(.*?)</ul>', r.text, re.S)
    # (tornado strips the field's ends, get_body_argument(strip=True); the line's are ours)
    assert normalised and "<code>Alice </code> → <code>alice</code>" in normalised.group(1)
    assert "also given as &#39;alice&#39;" in normalised.group(1)
    for name in ("alice", "bob", "dana", "eve"):
        assert f'data-identity="{name}"' in r.text
    # a bad name: the form comes back with the field and the reason, nothing written
    r = teach.post(gh.service + "w/py/grants", timeout=60,
                   data={"_xsrf": xsrf(page), "identities": "zed\nbo b"})  # fmt: skip
    assert r.status_code == 400 and 'id="ht-error"' in r.text
    assert "<strong>identities</strong>" in r.text and "contains spaces" in r.text
    assert "zed" not in r.text.split('id="ht-grants"')[1]
    # the form without its _xsrf is refused by tornado, as any cross-site post would be
    assert teach.post(gh.service + "w/py/grants", data={"identities": "zed"},
                      timeout=60).status_code == 403  # fmt: skip
    # the instructor makes the community member a co-instructor with the role select
    co = {"_xsrf": xsrf(page), "identities": "carol", "role": "instructor"}
    r = teach.post(gh.service + "w/py/grants", data=co, timeout=60)
    assert r.status_code == 201, r.text[:2000]

    # the roster CSV as the request body, with the instructor's own token
    token = gh.token("teach")
    r = post_csv(gh, token, "login\n# late sign-ups\nFrank\ngina\n", "?expires=%2B3h")
    assert r.status_code == 201, r.text
    assert r.json()["added"] == ["frank", "gina"]
    own = {g["identity"]: g for g in r.json()["grants"]}
    assert own["frank"]["expires_at"] and own["alice"]["expires_at"] is None
    r = post_csv(gh, token, "# nobody\n")
    assert r.status_code == 400 and r.json()["field"] == "identities", r.text

    # the command line through the service, as the instructor: only their workshop
    remote = ["--hub-url", hub.url, "--token", token]
    r = hubtypes("grants", "list", "--workshop", "py", *remote)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert set(rows) == {"alice", "bob", "carol", "dana", "eve", "frank", "gina", "teach"}
    assert rows["carol"][1] == "instructor" and rows["teach"][3] == "guest"
    r = hubtypes("grants", "add", "--workshop", "py", "Hal", *remote)
    assert r.returncode == 0 and "'Hal' is granted as 'hal'" in r.stderr, r.stderr
    r = hubtypes("grants", "remove", "--workshop", "py", "hal", *remote)
    assert r.returncode == 0 and "removed the grant of hal" in r.stderr, r.stderr
    r = hubtypes("grants", "list", "--workshop", "r", *remote)
    assert r.returncode != 0 and "you do not instruct workshop 'r'" in r.stderr, r.stderr
    r = hubtypes("grants", "add", "--workshop", "r", "alice", *db)
    assert r.returncode != 0 and "already granted workshop 'py'" in r.stderr, r.stderr
    # ... and through the database: a grant someone has used is not removed
    r = hubtypes("grants", "remove", "--workshop", "py", "gina", *db)
    assert r.returncode == 0, r.stderr
    r = hubtypes("grants", "remove", "--workshop", "py", "teach", *db)
    assert r.returncode != 0 and "has logged in" in r.stderr, r.stderr

    # the co-instructor's next login (an existing hub user) puts them in the group; their
    # role taken back, the next takes them out again and keeps their other groups
    assert hub.api("POST", "/groups/team-a").status_code == 201  # an admin's own group
    assert hub.api("POST", "/groups/team-a/users", json={"users": ["carol"]}).status_code == 200
    oauth_login(hub.url, "carol")
    assert set(groups(gh, "carol")) == {"team-a", GROUP}
    r = gh.call("PATCH", "workshops/py/grants/carol", json={"role": "participant"})
    assert r.status_code == 200 and r.json()["role"] == "participant", r.text
    oauth_login(hub.url, "carol")
    assert groups(gh, "carol") == ["team-a"]
    r = gh.call("PATCH", "workshops/py/grants/carol", json={"role": "admin"})
    assert r.status_code == 400 and r.json()["field"] == "role"

    # allow_existing_users: the guest's hub user, made by their login, does not make them a
    # community member, not even after a restart (add_user for every user again)
    alice, home = oauth_login(hub.url, "alice")
    assert home.url.endswith("/hub/home")
    hub.restart()
    gh.wait_service()
    move_dates(gh.db_url, "py", ends_at="-1 minute")
    done = gh.call("POST", "lifecycle").json()
    assert "alice" in done["grants_locked"], done
    _, again = oauth_login(hub.url, "alice")
    assert again.status_code == 403 and "Access ended" in again.text
    standings = {g["identity"]: g["standing"]
                 for g in gh.call("GET", "workshops/py/grants").json()["grants"]}  # fmt: skip
    assert standings["alice"] == "guest" and standings["carol"] == "community"
    # the instructor is staff: still in after the lock, and still instructing
    teach, home = oauth_login(hub.url, "teach")
    assert home.url.endswith("/hub/home"), (home.status_code, home.url)
    assert teach.get(gh.service + "w/py/grants", timeout=60).status_code == 200
