"""WorkshopAuthenticator in a real jupyterhub process behind npm's configurable-http-proxy."""

from __future__ import annotations

import csv
import io
import subprocess
import time
from pathlib import Path

import clirun
import pytest
import requests
from realhub import RealHub, login_error

from hubtypes.db.database import Database
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import account_view
from hubtypes.db.queries.audit import select_audit

pytestmark = pytest.mark.hub

CONFIG = """
c.JupyterHub.authenticator_class = "workshop"
c.HubTypesDatabase.url = {db_url!r}
c.JupyterHub.default_url = "/hub/home"
c.WorkshopAuthenticator.auth_refresh_age = 1
c.WorkshopAuthenticator.user_failure_limit = 3
c.WorkshopAuthenticator.address_failure_limit = {address_limit}
"""


def hubtypes_cli(*args: str, db_url: str) -> subprocess.CompletedProcess:
    return clirun.hubtypes(*args, "--db-url", db_url)


class Workshop:
    """A workshop and accounts made with the real command line, codes kept for the test."""

    def __init__(self, tmp_path: Path, starts: str = "+0s", ends: str = "+2d") -> None:
        self.db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
        self.cli_output: list[str] = []
        self.codes: dict[str, str] = {}
        self._run("workshop", "create", "py", "--title", "Python", "--starts", starts,
                  "--ends", ends, "--delete-after", "+9d")  # fmt: skip

    def _run(self, *args: str) -> str:
        r = hubtypes_cli(*args, db_url=self.db_url)
        assert r.returncode == 0, r.stderr
        self.cli_output += [r.stdout, r.stderr]
        return r.stdout

    def accounts(self, *args: str) -> list[str]:
        # made before the hub starts: there is no hub to ask yet
        out = self._run("accounts", "create", "--format", "csv", "--skip-hub-check", *args)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.codes.update({row["username"]: row["code"] for row in rows})
        return [row["username"] for row in rows]


def start_hub(factory, workshop: Workshop, address_limit: int = 50) -> RealHub:
    return factory(CONFIG.format(db_url=workshop.db_url, address_limit=address_limit))


def assert_no_code_logged(hub: RealHub, workshop: Workshop) -> None:
    """Codes appear on the CLI's stdout (that is the point) and nowhere else."""
    log = hub.log_text()
    stderr = "".join(workshop.cli_output[1::2])
    for name, code in workshop.codes.items():
        assert code not in log, f"{name}'s code is in the hub's log"
        assert code.replace("-", "") not in log
        assert code not in stderr, f"{name}'s code is on the CLI's stderr"


def test_login_refusals_groups_and_admin(real_hub_factory, tmp_path):
    ws = Workshop(tmp_path)
    [ann, bob] = ws.accounts("--workshop", "py", "--count", "2")
    [teacher] = ws.accounts("--workshop", "py", "--role", "instructor", "--usernames", "teach")
    [boss] = ws.accounts("--role", "admin", "--usernames", "boss")
    [late] = ws.accounts("--workshop", "py", "--usernames", "late", "--expires", "+2s")
    hub = start_hub(real_hub_factory, ws)

    page = requests.get(hub.url + "hub/login", timeout=30).text
    assert "Access code:" in page and "your instructor gave you" in page

    # a code reaches the hub's home page
    with requests.Session() as s:
        r = hub.login(s, ann, ws.codes[ann])
        assert r.status_code == 200 and r.url.endswith("/hub/home"), r.url
        assert ann in r.text

    # wrong code and unknown user get the same message: no account enumeration
    for name, code in [(bob, ws.codes[ann]), ("nobody", ws.codes[ann]), (bob, "")]:
        with requests.Session() as s:
            r = hub.login(s, name, code)
        assert r.status_code == 403 and login_error(r) == "Invalid username or access code."

    # locked accounts are refused with their own message
    time.sleep(2.5)
    with requests.Session() as s:
        r = hub.login(s, late, ws.codes[late])
    assert r.status_code == 403
    assert "Access ended on" in login_error(r) and "contact your instructor" in login_error(r)

    # staff: instructors land in the instructors group, admins are hub admins
    for name in (teacher, boss):
        with requests.Session() as s:
            assert hub.login(s, name, ws.codes[name]).url.endswith("/hub/home")
    users = {u["name"]: u for u in hub.api("GET", "/users").json()}
    # a participant's login writes no group (the workshop service adds them, in bulk)
    assert users[ann]["groups"] == [] and not users[ann]["admin"]
    assert sorted(users[teacher]["groups"]) == ["workshop-py", "workshop-py-instructors"]
    assert users[boss]["admin"] and users[boss]["groups"] == []

    # deleting the user through the hub deletes the account (and its code) too
    assert hub.api("DELETE", f"/users/{ann}").status_code == 204
    db = Database(ws.db_url)
    with db.session() as session:
        assert account_view(session, ann) is None
        events = [e.action for e in session.scalars(select_audit(target=ann))]
    db.dispose()
    assert events == ["account.delete"]
    with requests.Session() as s:
        assert login_error(hub.login(s, ann, ws.codes[ann])) == "Invalid username or access code."
    assert_no_code_logged(hub, ws)


def test_not_yet_open(real_hub_factory, tmp_path):
    ws = Workshop(tmp_path, starts="+1d", ends="+2d")
    [ann] = ws.accounts("--workshop", "py", "--count", "1")
    [teacher] = ws.accounts("--workshop", "py", "--role", "instructor", "--usernames", "teach")
    hub = start_hub(real_hub_factory, ws)
    with requests.Session() as s:
        r = hub.login(s, ann, ws.codes[ann])
    assert r.status_code == 403 and "This workshop opens on" in login_error(r)
    with requests.Session() as s:  # instructors prepare before it opens
        assert hub.login(s, teacher, ws.codes[teacher]).url.endswith("/hub/home")


# A test-only clock the real hub process honours: the test moves the hub's "now"
# forward by writing an offset in seconds to a file.
TEST_CLOCK = """
from datetime import timedelta
from pathlib import Path
from hubtypes.clock import utcnow

def _test_clock(offset_file=Path({path!r})):
    try:
        seconds = float(offset_file.read_text())
    except (OSError, ValueError):
        seconds = 0.0
    return utcnow() + timedelta(seconds=seconds)

c.WorkshopAuthenticator.clock = _test_clock
"""


def test_open_session_and_token_end_when_the_account_locks(real_hub_factory, tmp_path):
    ws = Workshop(tmp_path)
    [ann] = ws.accounts("--workshop", "py", "--usernames", "ann", "--expires", "+1h")
    offset = tmp_path / "clock-offset"
    hub = real_hub_factory(
        CONFIG.format(db_url=ws.db_url, address_limit=50) + TEST_CLOCK.format(path=str(offset))
    )
    with requests.Session() as s:
        assert hub.login(s, ann, ws.codes[ann]).url.endswith("/hub/home")
        r = hub.api("POST", f"/users/{ann}/tokens", json={"note": "test"})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        assert hub.api("GET", "/user", token=token).json()["name"] == ann
        assert s.get(hub.url + "hub/home", timeout=30).url.endswith("/hub/home")

        offset.write_text(str(2 * 3600))  # two hours later, for the hub: ann is locked
        time.sleep(2)  # auth_refresh_age is 1 s in this hub

        # the cookie session is over: back to the login page
        r = s.get(hub.url + "hub/home", timeout=30)
        assert "/hub/login" in r.url, r.url
    # and, in strict mode, the API token is refused too
    assert hub.api("GET", "/user", token=token).status_code == 403
    assert_no_code_logged(hub, ws)


def test_throttling_per_user_survives_a_restart(real_hub_factory, tmp_path):
    ws = Workshop(tmp_path)
    [ann, bob] = ws.accounts("--workshop", "py", "--count", "2")
    hub = start_hub(real_hub_factory, ws)
    for _ in range(3):
        with requests.Session() as s:
            assert (
                login_error(hub.login(s, ann, "wrong-code")) == "Invalid username or access code."
            )
    with requests.Session() as s:
        r = hub.login(s, ann, ws.codes[ann])  # the right code, too late
    assert r.status_code == 429 and "Too many attempts; try again in" in login_error(r)
    hub.restart()
    with requests.Session() as s:
        r = hub.login(s, ann, ws.codes[ann])
    assert r.status_code == 429, "the throttle was forgotten by the restart"
    # another user from the same room is not affected, and success clears their name
    with requests.Session() as s:
        assert login_error(hub.login(s, bob, "typo")) is not None
        assert hub.login(s, bob, ws.codes[bob]).url.endswith("/hub/home")
    db = Database(ws.db_url)
    with db.session() as session:
        assert logins.throttle_counter(session, logins.user_key(bob)) is None
        assert logins.throttle_counter(session, logins.user_key(ann)).failures == 3
    db.dispose()
    assert_no_code_logged(hub, ws)


def test_throttling_per_address(real_hub_factory, tmp_path):
    ws = Workshop(tmp_path)
    names = ws.accounts("--workshop", "py", "--count", "5")
    hub = start_hub(real_hub_factory, ws, address_limit=4)
    for name in names[:4]:  # four different people mistype once each
        with requests.Session() as s:
            assert login_error(hub.login(s, name, "typo")) == "Invalid username or access code."
    with requests.Session() as s:
        r = hub.login(s, names[4], ws.codes[names[4]])
    assert r.status_code == 429, "the hub must see the client address behind its proxy"
    db = Database(ws.db_url)
    with db.session() as session:
        assert logins.throttle_counter(session, "ip:127.0.0.1").failures == 4
    db.dispose()
