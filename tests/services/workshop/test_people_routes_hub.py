"""What instructors and admins do for the people at a live workshop, against one real hub
with the workshop service (tests/svchub.py): a new code for a lost one, a cleared login
throttle, a roster import, the accounts export, and the archive of a purged workshop;
each through the service's REST API and through the ``hubtypes`` command (a subprocess,
on the database route and on the ``--hub-url`` route), as docs/workshop-service.md and
docs/openapi.yaml describe them.

The hub is shared by the module (no test changes its config); each test has accounts of
its own. What the tests rely on, read from the code: the hub's login cookie of a reissued
account ends at the account's next auth refresh (``auth_refresh_age`` is 1 s in
svchub's config; :func:`hubtypes.access.codes.session_predates_code`), a REST reissue also
stops the account's servers (waiting until none runs) and deletes its tokens
(hubtypes/services/workshop/people.py); the login throttle refuses an address that got a
name's code wrong ``user_failure_limit`` times (5 by default) even with the right code,
with 429 (hubtypes/auth/workshop.py, hubtypes/access/throttle.py).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import svchub
from realhub import login_error

from hubtypes.db.database import Database
from hubtypes.db.queries.workshops import set_workshop_state

pytestmark = pytest.mark.hub

WS = "pr"  # the workshop most tests work in
TEACH = "pr-teach"
FAILURE_LIMIT = 5  # c.WorkshopAuthenticator.user_failure_limit's default
ROUTE_ENV = ("HUBTYPES_HUB_URL", "JUPYTERHUB_API_TOKEN", "HUBTYPES_DB_URL", "JUPYTERHUB_API_URL")


@pytest.fixture(scope="module")
def sh(module_hub_factory, tmp_path_factory):
    sh = svchub.start(module_hub_factory, tmp_path_factory.mktemp("people-routes"))
    sh.workshop(WS)
    sh.accounts("--workshop", WS, "--role", "instructor", "--usernames", TEACH)
    sh.login(TEACH)  # the hub user (and the instruct role, through its group) exist now
    return sh


@pytest.fixture(scope="module")
def teach(sh) -> str:
    """The instructor's own hub token: the instruct scope, for workshop 'pr' only."""
    return sh.token(TEACH)


# --- helpers ---------------------------------------------------------------------------


def hubtypes(*args: str) -> subprocess.CompletedProcess:
    """The ``hubtypes`` command as a person runs it (no route taken from the environment)."""
    clean = {k: v for k, v in os.environ.items() if k not in ROUTE_ENV}
    return subprocess.run([sys.executable, "-m", "hubtypes.cli", *args], capture_output=True,
                          text=True, timeout=60, env=clean)  # fmt: skip


def ok(r: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert r.returncode == 0, (r.args, r.stdout, r.stderr)
    return r


def credentials(stdout: str) -> dict[str, dict[str, str]]:
    return {row["username"]: row for row in csv.DictReader(io.StringIO(stdout))}


def signed_in(sh: svchub.ServiceHub, session: requests.Session) -> bool:
    """Whether the browser's hub login cookie still opens the hub's home page."""
    r = session.get(sh.hub.url + "hub/home", allow_redirects=False, timeout=30)
    if r.status_code == 200:
        return True
    assert r.status_code == 302 and "/hub/login" in r.headers["Location"], r.status_code
    return False


def refused(sh: svchub.ServiceHub, name: str, code: str) -> requests.Response:
    """A login with ``code`` that the hub refuses (the login page again, with its message)."""
    r = sh.hub.login(requests.Session(), name, code)
    assert not r.url.endswith("/hub/home"), f"{name} logged in with {code!r}"
    assert r.status_code in (403, 429) and login_error(r), (r.status_code, r.text[-1500:])
    return r


def throttle(sh: svchub.ServiceHub, name: str) -> None:
    """Wrong codes until the hub refuses even the right one (from this address)."""
    for i in range(FAILURE_LIMIT):
        r = refused(sh, name, f"wrong-code-{i}")
        assert r.status_code == 403
    r = refused(sh, name, sh.codes[name])
    assert r.status_code == 429 and "Too many attempts" in login_error(r)


def audit(sh: svchub.ServiceHub, slug: str, target: str | None = None) -> list[dict]:
    r = sh.call("GET", f"workshops/{slug}/audit")
    assert r.status_code == 200, r.text
    return [e for e in r.json()["events"] if target is None or e["target"] == target]


def accounts(sh: svchub.ServiceHub, slug: str = WS) -> dict[str, dict]:
    r = sh.call("GET", f"workshops/{slug}/accounts")
    assert r.status_code == 200, r.text
    return {a["username"]: a for a in r.json()["accounts"]}


def purged(sh: svchub.ServiceHub, slug: str) -> None:
    """A workshop whose reset (an admin's, confirmed by its slug) is done."""
    sh.workshop(slug)
    r = sh.call("POST", f"workshops/{slug}/reset", json={"confirm": slug})
    assert r.status_code == 202, r.text

    def done() -> bool:
        r = sh.call("GET", f"workshops/{slug}/reset")
        return r.status_code == 200 and r.json()["state"] == "done"

    svchub.wait_for(done, 90, f"the reset of {slug}")
    assert sh.call("GET", f"workshops/{slug}").json()["status"] == "purged"


def workshop_rows(stdout: str) -> dict[str, list[str]]:
    """slug -> its row of ``hubtypes workshop list`` (titles here have no spaces)."""
    lines = stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["slug", "title", "status"], stdout
    return {line.split()[0]: line.split() for line in lines[1:]}


def hub_route(sh: svchub.ServiceHub, token: str) -> list[str]:
    return ["--hub-url", sh.hub.url, "--token", token]


def hub_check(sh: svchub.ServiceHub) -> list[str]:
    """What the database route needs to ask the hub which names it has (the admin's)."""
    return ["--hub-api-url", sh.hub.url + "hub/api", "--token", sh.hub.admin_token]


# --- a new code for a lost one ----------------------------------------------------------


def test_reissue_through_the_api_ends_the_session_and_keeps_the_home(sh, teach):
    [name] = sh.accounts("--workshop", WS, "--usernames", "pr-lost")
    old = sh.codes[name]
    browser = sh.login(name)
    own_token = sh.token(name)
    # an open JupyterLab: the server runs and the participant saved a file in their home
    assert sh.hub.api("POST", f"/users/{name}/server").status_code in (201, 202)
    sh.hub.wait_ready(name)
    saved = requests.put(
        f"{sh.hub.url}user/{name}/api/contents/notes.txt",
        headers={"Authorization": f"token {own_token}"},
        json={"type": "file", "format": "text", "content": "my work"},
        timeout=30,
    )
    assert saved.status_code in (200, 201), saved.text
    home = sh.workdir / "homes" / name
    assert (home / "notes.txt").read_text() == "my work"

    # the instructor's own token: a new code, once
    r = sh.call("POST", f"workshops/{WS}/accounts/{name}/reissue", teach)
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json()
    new = body["credential"]["code"]
    assert body["credential"]["username"] == name and body["credential"]["workshop"] == WS
    assert new and new != old
    assert body["sessions"] == {"ended": True, "servers": [""], "tokens": 1}, body

    # its open sessions are over: the server is stopped, the token is gone, and the login
    # cookie ends at the hub's next check of the account
    assert sh.hub.api("GET", f"/users/{name}").json()["servers"] == {}
    assert sh.hub.api("GET", "/user", own_token).status_code == 403
    svchub.wait_for(lambda: not signed_in(sh, browser), 30, "the old login cookie to end")

    # the old code no longer logs in; the new one does, into the same account and home
    r = refused(sh, name, old)
    assert r.status_code == 403
    sh.codes[name] = new
    again = sh.login(name)
    assert signed_in(sh, again)
    assert sh.hub.api("GET", f"/users/{name}").status_code == 200
    assert (home / "notes.txt").read_text() == "my work"
    assert accounts(sh)[name]["status"] == "active"

    # audited, by the instructor, with what was ended; the code is in no log
    events = audit(sh, WS, name)
    [reissued] = [e for e in events if e["action"] == "accounts.reissue"]
    [ended] = [e for e in events if e["action"] == "account.sessions_ended"]
    assert reissued["actor"] == ended["actor"] == TEACH
    assert ended["details"]["servers"] == [""] and ended["details"]["tokens"] == 1
    assert new not in sh.hub.log_text() and new not in str(events)

    # a participant's token may not; an account of no workshop of hers is a 404
    part = sh.token(name)
    assert sh.call("POST", f"workshops/{WS}/accounts/{name}/reissue", part).status_code == 403
    r = sh.call("POST", f"workshops/{WS}/accounts/nobody/reissue", teach)
    assert r.status_code == 404 and r.json()["field"] == "username"


def test_reissue_with_the_command_line_on_both_routes(sh, teach):
    [name] = sh.accounts("--workshop", WS, "--usernames", "pr-forgot")
    first = sh.codes[name]
    browser = sh.login(name)
    # someone guessed at the name: even the right code is refused from here now
    throttle(sh, name)

    # an operator on the database route: `hubtypes accounts reissue NAME`
    r = ok(hubtypes("accounts", "reissue", name, "--format", "csv", "--db-url", sh.db_url))
    row = credentials(r.stdout)[name]
    second = row["code"]
    assert second and second != first and row["workshop"] == WS
    assert r.stdout.count(second) == 1 and second not in r.stderr
    assert "the old code no longer works" in r.stderr
    # the login cookie of the old code ends at the hub's next check of the account
    svchub.wait_for(lambda: not signed_in(sh, browser), 30, "the old login cookie to end")
    assert refused(sh, name, first).status_code == 403
    # the new code logs in from the same address: the name's throttle went with the old code
    sh.codes[name] = second
    browser = sh.login(name)

    # an instructor through the service: the same, and the sessions end at once
    r = hubtypes("accounts", "reissue", name, *hub_route(sh, teach))
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert r.stderr.startswith("hubtypes: error: --workshop: "), r.stderr
    r = ok(hubtypes("accounts", "reissue", name, "--workshop", WS, "--format", "csv",
                    *hub_route(sh, teach)))  # fmt: skip
    third = credentials(r.stdout)[name]["code"]
    assert third not in (first, second)
    assert "the old code no longer works; its open sessions were ended" in r.stderr
    svchub.wait_for(lambda: not signed_in(sh, browser), 30, "the second login cookie to end")
    assert refused(sh, name, second).status_code == 403
    sh.codes[name] = third
    sh.login(name)
    assert sh.hub.api("GET", f"/users/{name}").status_code == 200  # the same hub user

    reissues = [e for e in audit(sh, WS, name) if e["action"] == "accounts.reissue"]
    assert sorted(e["actor"] for e in reissues) == ["cli", TEACH]
    # a name that is no workshop account: one message naming the option, exit 2
    r = hubtypes("accounts", "reissue", "nobody", "--db-url", sh.db_url)
    assert r.returncode == 2 and r.stderr.startswith("hubtypes: error: --username: "), r.stderr


# --- the login throttle -----------------------------------------------------------------


def test_clear_the_throttle_through_the_api(sh, teach):
    [name] = sh.accounts("--workshop", WS, "--usernames", "pr-typo")
    throttle(sh, name)

    r = sh.call("DELETE", f"workshops/{WS}/accounts/{name}/throttle", teach)
    assert r.status_code == 200, r.text
    # the name's own counter and its counter from this address
    assert r.json() == {"username": name, "cleared": 2}
    sh.login(name)  # the right code, from the same address, at once

    [event] = [e for e in audit(sh, WS, name) if e["action"] == "account.throttle_cleared"]
    assert event["actor"] == TEACH
    assert event["details"] == {"workshop": WS, "counters": 2}
    # nothing left to clear is fine; participants may not; an unknown name is a 404
    r = sh.call("DELETE", f"workshops/{WS}/accounts/{name}/throttle", teach)
    assert r.status_code == 200 and r.json()["cleared"] == 0
    part = sh.token(name)
    r = sh.call("DELETE", f"workshops/{WS}/accounts/{name}/throttle", part)
    assert r.status_code == 403
    r = sh.call("DELETE", f"workshops/{WS}/accounts/nobody/throttle", teach)
    assert r.status_code == 404 and r.json()["field"] == "username"


def test_clear_the_throttle_with_the_command_line(sh, teach):
    [name] = sh.accounts("--workshop", WS, "--usernames", "pr-slow")
    throttle(sh, name)

    r = ok(hubtypes("accounts", "unthrottle", name, "--db-url", sh.db_url))
    assert r.stdout.strip() == f"cleared 2 failed-login counter(s) of {name!r}"
    sh.login(name)

    throttle(sh, name)  # again, and an instructor clears it through the service
    r = ok(hubtypes("accounts", "unthrottle", name, "--workshop", WS, *hub_route(sh, teach)))
    assert r.stdout.strip() == f"cleared 2 failed-login counter(s) of {name!r}"
    sh.login(name)

    cleared = [e for e in audit(sh, WS, name) if e["action"] == "account.throttle_cleared"]
    assert sorted(e["actor"] for e in cleared) == ["cli", TEACH]
    assert all(e["details"]["counters"] == 2 for e in cleared)


# --- archiving a purged workshop --------------------------------------------------------


def test_archive_a_purged_workshop_with_the_command_line(sh, teach):
    purged(sh, "old")
    db = ["--db-url", sh.db_url]
    rows = workshop_rows(ok(hubtypes("workshop", "list", *db)).stdout)
    assert rows["old"][2] == "purged" and rows[WS][2] == "running"

    # a workshop that is not purged is refused, saying what to do; nothing changes
    r = hubtypes("workshop", "archive", WS, *db)
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert r.stderr.strip() == (
        f"hubtypes: error: --workshop: workshop {WS!r} is open; only a purged workshop is "
        "archived (reset it first)"
    )
    assert sh.call("GET", f"workshops/{WS}").json()["status"] == "running"
    r = sh.call("POST", f"workshops/{WS}/archive")
    assert r.status_code == 409 and r.json()["field"] == "workshop", r.text
    # archiving is for admins: not for an instructor's token
    assert sh.call("POST", "workshops/old/archive", teach).status_code == 403

    r = ok(hubtypes("workshop", "archive", "old", *db))
    assert r.stdout.strip() == "workshop 'old' archived: hidden from lists, its audit log kept"
    # hidden from the lists, the command's and the service's, unless asked for
    assert "old" not in workshop_rows(ok(hubtypes("workshop", "list", *db)).stdout)
    rows = workshop_rows(ok(hubtypes("workshop", "list", "--archived", *db)).stdout)
    assert rows["old"][2] == "archived"
    assert "old" not in [w["slug"] for w in sh.call("GET", "workshops").json()["workshops"]]
    listed = sh.call("GET", "workshops?archived=true").json()["workshops"]
    assert {w["slug"]: w["status"] for w in listed}["old"] == "archived"
    # its audit log is kept, the archive in it
    events = audit(sh, "old", "old")
    assert {"workshop.create", "reset.start", "reset.done"} <= {e["action"] for e in events}
    [archived] = [e for e in events if e["action"] == "workshop.archive"]
    assert archived["actor"] == "cli" and archived["details"]["state"] == ["purged", "archived"]
    # an archived workshop takes no accounts; reopening still works, and it is listed again
    r = sh.call("POST", "workshops/old/accounts", json={"count": 1})
    assert r.status_code == 409 and r.json()["field"] == "workshop"
    r = sh.call("POST", "workshops/old/reopen", json={"ends": "+3d", "delete_after": "+10d"})
    assert r.status_code == 200 and r.json()["status"] == "running", r.text
    assert "old" in [w["slug"] for w in sh.call("GET", "workshops").json()["workshops"]]


# --- importing a roster -----------------------------------------------------------------

ROSTER = """name,email
Ada Lovelace,ada@example.org
José Núñez,
Grace Hopper,grace@example.org
Ada King,ada@kings.example.org
"""


def test_roster_import_through_the_api(sh, teach):
    # taken already: an account (pr-ada) and a hub user of no workshop (pr-grace)
    sh.accounts("--workshop", WS, "--usernames", "pr-ada")
    assert sh.hub.api("POST", "/users/pr-grace").status_code == 201
    before = set(accounts(sh))
    url = f"workshops/{WS}/roster"

    # a row that cannot get a username is shown, and stops the creation
    bad = {"roster": ROSTER + "Bad Email,not-an-address\n", "prefix": "pr-"}
    r = sh.call("POST", url + "?dry_run=true", teach, json=bad)
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["problems"] == 1
    [row] = [p for p in r.json()["plan"]["people"] if p["problem"]]
    assert row["line"] == 6 and "not an email address" in row["problem"]
    r = sh.call("POST", url, teach, json=bad)
    assert r.status_code == 400 and r.json()["field"] == "roster", r.text
    assert set(accounts(sh)) == before

    # the preview: who gets which username, and why some got a number; nothing written
    body = {"roster": ROSTER, "prefix": "pr-"}
    r = sh.call("POST", url + "?dry_run=true", teach, json=body)
    assert r.status_code == 200, r.text
    plan = r.json()["plan"]
    assert r.json()["dry_run"] is True
    assert plan["usernames"] == ["pr-ada-2", "pr-jose-nunez", "pr-grace-2", "pr-ada-3"]
    assert (plan["problems"], plan["renamed"]) == (0, 3)
    people = {p["line"]: p for p in plan["people"]}
    assert people[2]["note"] == "pr-ada was taken; given pr-ada-2"
    assert people[3]["name"] == "José Núñez" and people[3]["note"] is None
    assert people[4]["note"] == "pr-grace was taken; given pr-grace-2"
    assert people[5]["note"] == "pr-ada was taken; given pr-ada-3"
    assert set(accounts(sh)) == before
    assert sh.hub.api("GET", "/users/pr-ada-2").status_code == 404

    # create exactly the previewed accounts; each code logs in
    r = sh.call("POST", url, teach, json={**body, "planned": plan["usernames"]})
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    made = {c["username"]: c for c in r.json()["credentials"]}
    assert list(made) == plan["usernames"]
    assert made["pr-ada-2"]["name"] == "Ada Lovelace"
    assert made["pr-ada-2"]["email"] == "ada@example.org"
    assert made["pr-jose-nunez"]["role"] == "participant"
    assert all(c["code"] and c["workshop"] == WS for c in made.values())
    assert set(accounts(sh)) == before | set(made)
    sh.codes.update({n: c["code"] for n, c in made.items()})
    sh.login("pr-jose-nunez")
    [created] = [e for e in audit(sh, WS, WS) if e["details"].get("usernames") == list(made)]
    assert (created["action"], created["actor"]) == ("accounts.create", TEACH)

    # the same preview sent again: its names are taken now, so nothing is created (409)
    r = sh.call("POST", url, teach, json={**body, "planned": plan["usernames"]})
    assert r.status_code == 409 and r.json()["field"] == "planned", r.text
    assert set(accounts(sh)) == before | set(made)

    # a participant may not import
    r = sh.call("POST", url + "?dry_run=true", sh.token("pr-jose-nunez"), json=body)
    assert r.status_code == 403


def test_roster_import_into_a_closed_workshop_is_refused(sh):
    body = {"roster": "Ada Lovelace\nAlan Turing\n"}
    # a workshop being reset (the state a reset leaves while it runs) ...
    sh.workshop("busy")
    database = Database(sh.db_url)
    try:
        with database.session() as s:
            set_workshop_state(s, "busy", "resetting")
        for query in ("?dry_run=true", ""):
            r = sh.call("POST", "workshops/busy/roster" + query, json=body)
            assert r.status_code == 409 and r.json()["field"] == "workshop", (query, r.text)
            assert "being reset" in r.json()["message"]
        with database.session() as s:
            set_workshop_state(s, "busy", "open")
    finally:
        database.dispose()
    # ... once open again, the same roster is taken
    r = sh.call("POST", "workshops/busy/roster", json=body)
    assert r.status_code == 201, r.text
    assert [c["username"] for c in r.json()["credentials"]] == ["ada-lovelace", "alan-turing"]

    # ... and a purged one, which says how to go on
    purged(sh, "gone")
    for query in ("?dry_run=true", ""):
        r = sh.call("POST", "workshops/gone/roster" + query, json=body)
        assert r.status_code == 409 and r.json()["field"] == "workshop", (query, r.text)
        assert "has been purged" in r.json()["message"]
        assert "reopen" in r.json()["message"]
    assert accounts(sh, "gone") == {}


def test_roster_import_with_the_command_line(sh, teach, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email\nAlan Turing,alan@example.org\nKaty Jo,katy@example.org\n"
        "Hubert Hub,hubby@example.org\n",
        encoding="utf-8",
    )
    assert sh.hub.api("POST", "/users/imp-hubby").status_code == 201  # a hub user's name
    base = ["accounts", "import", str(roster), "--workshop", WS, "--prefix", "imp-"]
    db = ["--db-url", sh.db_url]

    # the database route asks the hub which names it has, or refuses saying how
    r = hubtypes(*base, "--dry-run", *db)
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert "--hub-api-url" in r.stderr and "--skip-hub-check" in r.stderr

    # the preview: a table of every person and their username; nothing is created
    r = ok(hubtypes(*base, "--dry-run", *db, *hub_check(sh)))
    lines = r.stdout.strip().splitlines()
    assert lines[0].split() == ["line", "name", "email", "username", "note"]
    assert "imp-alan" in lines[1] and "alan@example.org" in lines[1]
    assert "imp-katy" in lines[2]
    assert "imp-hubby-2" in lines[3] and "imp-hubby was taken; given imp-hubby-2" in lines[3]
    assert not [n for n in accounts(sh) if n.startswith("imp-")]

    # then create: the codes, once, on standard output
    r = ok(hubtypes(*base, "--format", "csv", *db, *hub_check(sh)))
    made = credentials(r.stdout)
    assert list(made) == ["imp-alan", "imp-katy", "imp-hubby-2"]
    assert all(row["code"] and row["workshop"] == WS for row in made.values())
    # whom each code is for, beside it
    assert (made["imp-alan"]["name"], made["imp-alan"]["email"]) == (
        "Alan Turing", "alan@example.org")  # fmt: skip
    assert "created 3 account(s); the codes are shown only once" in r.stderr
    assert {n for n in accounts(sh) if n.startswith("imp-")} == set(made)
    sh.codes.update({n: row["code"] for n, row in made.items()})
    sh.login("imp-katy")

    # an instructor through the service: the same preview, then the accounts
    roster.write_text("Lin Chen <lin@example.org>\nAlan Turing <alan@example.org>\n")
    r = ok(hubtypes(*base, "--dry-run", *hub_route(sh, teach)))
    assert "imp-lin" in r.stdout and "imp-alan was taken; given imp-alan-2" in r.stdout
    assert "imp-lin" not in accounts(sh)
    r = ok(hubtypes(*base, "--format", "csv", *hub_route(sh, teach)))
    made = credentials(r.stdout)
    assert list(made) == ["imp-lin", "imp-alan-2"]
    assert made["imp-lin"]["name"] == "Lin Chen" and made["imp-lin"]["email"] == "lin@example.org"
    sh.codes["imp-lin"] = made["imp-lin"]["code"]
    sh.login("imp-lin")


def test_roster_import_command_refuses_an_unknown_role(sh, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name\nRoly Poly\n", encoding="utf-8")
    args = ["accounts", "import", str(roster), "--workshop", WS, "--role", "teacher",
            "--db-url", sh.db_url, *hub_check(sh)]  # fmt: skip
    r = hubtypes(*args)
    assert "pr-roly-poly" not in accounts(sh)  # nothing is written either way
    assert (r.returncode, r.stdout) == (2, ""), (r.returncode, r.stderr[-300:])
    assert r.stderr.startswith("hubtypes: error: --role: 'teacher' is not a role"), r.stderr
    r = hubtypes(*args, "--dry-run")
    assert (r.returncode, r.stdout) == (2, ""), r.stdout
    # nor admins, as the service's roster route: a roster is a workshop's people
    admin = [a if a != "teacher" else "admin" for a in args]
    r = hubtypes(*admin)
    assert r.returncode == 2 and "'admin' is not a role for a roster" in r.stderr, r.stderr
    assert "pr-roly-poly" not in accounts(sh)


# --- the accounts export ----------------------------------------------------------------


def test_accounts_csv_export_for_a_token_with_the_scope(sh, teach):
    [name] = sh.accounts("--workshop", WS, "--usernames", "pr-export")
    sh.login(name)

    r = sh.call("GET", f"workshops/{WS}/accounts?format=csv", teach)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    assert f'filename="{WS}-accounts.csv"' in r.headers["Content-Disposition"]
    reader = csv.DictReader(io.StringIO(r.text))
    header = reader.fieldnames or []
    assert header[0] == "username" and {"role", "status"} <= set(header)
    rows = {row["username"]: row for row in reader}
    assert rows[name]["role"] == "participant" and rows[name]["status"] == "active"
    assert rows[name]["last_login_at"]  # the login just now
    assert rows[TEACH]["role"] == "instructor"
    # an export never holds a code
    assert "code" not in header and sh.codes[name] not in r.text

    # a participant's token has no scope for it; an instructor's not for another workshop
    assert sh.call("GET", f"workshops/{WS}/accounts?format=csv", sh.token(name)).status_code == 403
    sh.workshop("other")
    assert sh.call("GET", "workshops/other/accounts?format=csv", teach).status_code == 403
