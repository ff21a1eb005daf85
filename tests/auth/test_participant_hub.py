"""A participant's dates and the end of their workshop, on a real hub with the workshop
service, real single-user servers (jupyter-server) and the real command line.

What the hub does that these tests rely on, read from its source (jupyterhub/handlers/
base.py and login.py, the same at 5.5.1 and 6.1.1): ``template_namespace`` calls each
``template_vars`` callable with the current user on every render; ``get_current_user``
refreshes auth (``refresh_user``) before a page once ``auth_refresh_age`` (1 s here) has
passed, and a False sends ``@web.authenticated`` pages to ``/hub/login``; a refused login is
rendered on the login form by ``LoginHandler.render_template`` with the exception in the
namespace; ``Authenticator.get_handlers`` routes come before the stock ``/login``.
"""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import requests
import svchub
from participanthub import participant_hub
from realhub import login_error

pytestmark = pytest.mark.hub


def banner(html: str) -> str:
    match = re.search(r'<div id="hubtypes-dates".*?</div>', html, re.S)
    return match.group(0) if match else ""


def utc(value: str) -> str:
    """An ISO time as the pages write it in UTC (hubtypes.clock.human)."""
    return value[:16].replace("T", " ") + " UTC"


def test_dates_warning_lock_and_the_page_after_it(real_hub_factory, tmp_path):
    sh = participant_hub(real_hub_factory, tmp_path)
    sh.workshop("py", ends="+2d", purge="+9d")
    hub_api = ["--hub-api-url", sh.hub.url + "hub/api", "--token", sh.hub.admin_token]
    out = sh.cli("accounts", "create", "--format", "csv", "--workshop", "py", "--count", "2",
                 *hub_api)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    sh.codes.update({r["username"]: r["code"] for r in rows})
    ann, bob = rows[0]["username"], rows[1]["username"]
    # the CSV carries both dates (the participant's lock is the workshop's end here)
    ends, deleted = rows[0]["access_ends"], rows[0]["files_deleted_after"]
    assert ends and deleted and ends < deleted, rows[0]

    # the hub's home page (and every hub page) says both, in UTC without JavaScript
    s = sh.login(ann)
    home = s.get(sh.hub.url + "hub/home", timeout=30)
    text = banner(home.text)
    assert 'data-phase="active"' in text, home.text[:3000]
    assert f'datetime="{ends[:19]}+00:00"' in text  # ISO with its offset, for the browser
    assert utc(ends) in text and utc(deleted) in text
    assert "your files" in text and "Download as an Archive" in text
    assert utc(ends) in banner(s.get(sh.hub.url + "hub/token", timeout=30).text)
    # the spawn page (its not-running form, before the first start) too
    spawn_page = s.get(sh.hub.url + f"hub/spawn-pending/{ann}", timeout=30)
    assert utc(deleted) in banner(spawn_page.text), spawn_page.text[:3000]

    # the server starts with WORKSHOP-DATES.md in the workshop home
    r = s.get(sh.hub.url + f"hub/spawn/{ann}", timeout=90)
    assert r.status_code == 200, r.text[:2000]
    sh.hub.wait_ready(ann)
    [notice] = list(tmp_path.rglob("WORKSHOP-DATES.md"))
    assert ann in str(notice.parent)  # the top of ann's home
    body = notice.read_text()
    assert utc(ends) in body and utc(deleted) in body and "Download as an Archive" in body

    # 10 minutes before the lock the pages warn (15 by default)
    r = sh.call("PATCH", f"workshops/py/accounts/{ann}", json={"expires": "+10m"})
    assert r.status_code == 200, r.text
    time.sleep(1.1)  # past auth_refresh_age, so the next page re-reads the account
    text = banner(s.get(sh.hub.url + "hub/home", timeout=30).text)
    assert 'data-phase="ending"' in text and 'id="hubtypes-lock-warning"' in text
    assert re.search(r"ends in (9|10) minutes", text), text
    # the same, as JSON, for hubtypes' JupyterLab extension (its warning inside JupyterLab)
    dates = s.get(sh.hub.url + "hub/hubtypes/dates", timeout=30).json()["dates"]
    assert dates["phase"] == "ending" and re.search(r"ends in (9|10) minutes", dates["warning"])
    assert dates["ends"] and dates["deleted_after"], dates
    with requests.Session() as nobody:
        assert nobody.get(sh.hub.url + "hub/hubtypes/dates", timeout=30).status_code == 403

    # the lock: the session ends, and the login page says why and what happens next
    assert sh.call("PATCH", f"workshops/py/accounts/{ann}", json={"expires": "+2s"}).ok

    def status() -> str:
        accounts = sh.call("GET", "workshops/py/accounts").json()["accounts"]
        return next(a["status"] for a in accounts if a["username"] == ann)

    svchub.wait_for(lambda: status() == "locked", what="the lock")
    assert sh.call("POST", "lifecycle").status_code == 200  # stops the server, as on time
    svchub.wait_for(lambda: not sh.hub.api("GET", f"/users/{ann}").json()["server"],
                    what="the server to stop")  # fmt: skip
    # JupyterLab's "Restart" opens /hub/spawn: here it ends on the login page, with the notice
    r = s.get(sh.hub.url + f"hub/spawn/{ann}", timeout=30)
    assert "/hub/login" in r.url, r.url
    ended = re.search(r'<div id="hubtypes-session-ended".*?</div>', r.text, re.S)
    assert ended, r.text[:3000]
    assert "Your workshop access has ended" in ended.group(0)
    assert utc(deleted) in ended.group(0) and "ask your instructor" in ended.group(0)
    # JupyterLab's poll of the stopped server (a fetch, not a navigation) gets the hub's 424
    # for a stopped server, marked for hubtypes' JupyterLab extension, which then sends the
    # tab to the login page (share/jupyter/labextensions/hubtypes-lab/static/remoteEntry.js)
    poll = s.get(sh.hub.url + f"user/{ann}/api/status", headers={"Sec-Fetch-Mode": "cors"},
                 timeout=30)  # fmt: skip
    assert poll.status_code == 424, (poll.status_code, poll.text[:1000])
    assert poll.json() == {"message": "Your workshop access has ended.",
                           "hubtypes": "access-ended", "next": "/hub/login"}  # fmt: skip
    # a browser that never had the session sees a plain login page
    with requests.Session() as other:
        plain = other.get(sh.hub.url + "hub/login", timeout=30)
        assert 'id="hubtypes-session-ended"' not in plain.text

    # logging in again is refused with the dates (UTC in the message, the browser's own zone
    # in the line under it)
    with requests.Session() as again:
        r = sh.hub.login(again, ann, sh.codes[ann])
        message = login_error(r) or ""
        assert message.startswith("Access ended on") and f"deleted after {utc(deleted)}" in message
        assert 'id="hubtypes-login-dates"' in r.text
        assert f'datetime="{deleted[:19]}+00:00"' in r.text

    # after the lock the dates are no one's business but the login page's
    assert s.get(sh.hub.url + "hub/hubtypes/dates", timeout=30).status_code == 403

    # bob, whose access goes on, still sees his plain dates
    sb = sh.login(bob)
    assert 'data-phase="active"' in banner(sb.get(sh.hub.url + "hub/home", timeout=30).text)
    assert sb.get(sh.hub.url + "hub/hubtypes/dates", timeout=30).json()["dates"]["phase"] == (
        "active"
    )
    # a login sends no Set-Cookie for a notice the browser never had
    with requests.Session() as fresh:
        r = sh.hub.login(fresh, bob, sh.codes[bob])
        sent = [h.headers.get("Set-Cookie", "") for h in [*r.history, r]]
        assert any("jupyterhub-session-id" in c for c in sent), sent
        assert not any("hubtypes-access-ended" in c for c in sent), sent

    # an instructor extends ann: her next login, in a browser that kept the notice,
    # forgets it, so her next visit to the login page is a plain one
    assert sh.call("PATCH", f"workshops/py/accounts/{ann}", json={"expires": "+1d"}).ok
    with requests.Session() as kept:
        for cookie in s.cookies:
            if cookie.name == "hubtypes-access-ended":
                kept.cookies.set_cookie(cookie)
        assert "hubtypes-access-ended" in kept.cookies
        assert sh.hub.login(kept, ann, sh.codes[ann]).url.endswith("/hub/home")
        assert "hubtypes-access-ended" not in kept.cookies


def test_after_a_reset_old_names_hear_the_workshop_ended(real_hub_factory, tmp_path):
    sh = svchub.start(real_hub_factory, tmp_path)
    sh.workshop("old")
    sh.workshop("old-b")  # a live workshop whose slug starts with the purged one's
    [old1, _old2] = sh.accounts("--workshop", "old", "--count", "2")
    [live] = sh.accounts("--workshop", "old-b", "--count", "1")
    old1_code = sh.codes[old1]
    kept = sh.login(old1)  # a session open when the reset runs
    assert sh.call("POST", "workshops/old/reset", json={"confirm": "old"}).status_code in (200, 202)
    svchub.wait_for(lambda: sh.call("GET", "workshops/old/reset").json().get("state") == "done",
                    timeout=90, what="the reset")  # fmt: skip

    def message(name: str, code: str) -> str:
        with requests.Session() as s:
            return login_error(sh.hub.login(s, name, code)) or ""

    ended = message(old1, old1_code)
    assert ended.startswith('The workshop "OLD" has ended'), ended
    # a name the workshop never had gets exactly the same answer: nothing is revealed
    assert message("old-999", "xxxx-xxxx-xxxx-xxxx") == ended
    # the live workshop's names (longest matching slug) and other names: the generic failure
    assert message(live, "wrong-code") == "Invalid username or access code."
    assert message("olden", "wrong-code") == "Invalid username or access code."
    assert message("nobody", "wrong-code") == "Invalid username or access code."
    # the live account still logs in
    sh.login(live)
    # the session left open: the reset deleted its hub user, so the hub sends it to log in
    # (where its old code hears the workshop ended, as above)
    r = kept.get(sh.hub.url + "hub/home", timeout=30)
    assert "/hub/login" in r.url and 'id="hubtypes-dates"' not in r.text
