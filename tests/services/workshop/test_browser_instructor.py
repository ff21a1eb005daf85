"""Instructors and admins at a live workshop, in a real browser (Playwright + Debian's
Chromium) on one real hub with the workshop service (issue 11, items 5-12).

One hub for the whole story (the config does not change between the steps): landing on
the workshop pages after login, the home page's link, plain words, the throttle cleared,
a new code for a lost one (the old code refused at once, the server stopped, the open
browser session logged out), the roster imported from an uploaded CSV, the cards printed
eight to a page on A4 and Letter with a QR code of the prefilled login, forms keeping
what was typed, the CSV export in the browser, the admin panel paged with time zones,
a purged workshop archived, and the note beside the stock "Add Users".

Behaviour of JupyterHub relied on (6.1.1 installed; 5.5.1 the same): the login page fills
the username from ``?username=`` (jupyterhub/handlers/login.py ``LoginHandler.get``), a
callable ``default_url`` decides where a login without ``?next=`` goes
(jupyterhub/handlers/base.py ``get_next_url``), and a cookie session whose
``refresh_user`` answers False is sent to the login page (``BaseHandler.refresh_auth``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from datetime import timedelta
from pathlib import Path

import clirun
import pytest
import requests
import svchub
from realhub import login_error

from hubtypes.clock import utcnow
from hubtypes.db.database import Database
from hubtypes.db.queries.workshops import create_workshop
from hubtypes.inputs import WorkshopInput
from hubtypes.services.workshop.cards import qr_svg

pytestmark = [pytest.mark.hub, pytest.mark.browser]
DOCS_SHOTS = Path(__file__).resolve().parents[3] / "docs" / "_static" / "screenshots"
EXTRA = """
c.WorkshopAuthenticator.user_failure_limit = 3
c.WorkshopAuthenticator.address_failure_limit = 0
"""
ROSTER = "name,email\nAda Lovelace,ada@example.org\nJosé Núñez,jose@example.org\n" + "".join(
    f"Person {i},p{i}@example.org\n" for i in range(1, 9)
) + "Ada Byron,ada@example.net\n"  # fmt: skip


def start(factory, tmp_path) -> svchub.ServiceHub:
    """svchub.start, without its fixed default_url: the snippet's landing URL is tested."""
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    (tmp_path / "homes").mkdir()
    clirun.db_upgrade(db_url)
    config = svchub.ServiceHub.config(db_url, tmp_path / "homes")
    config = config.replace('c.JupyterHub.default_url = "/hub/home"\n', "") + EXTRA
    sh = svchub.ServiceHub(factory(config), db_url, tmp_path)
    sh.wait_service()
    return sh


async def login(browser, sh, name, code, *, lands: str):
    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda d: d.accept())  # the "New code?" confirmation
    await page.goto(sh.hub.url + "hub/login")
    await page.fill("#username_input", name)
    await page.fill("#password_input", code)
    await page.click("#login_submit")
    await page.wait_for_url(lands, timeout=60_000)
    return page


def logs_in(sh, name: str, code: str) -> bool:
    """Whether the hub accepts the login (its redirect goes anywhere but the login page)."""
    r = sh.hub.login(requests.Session(), name, code, allow_redirects=False)
    return r.status_code == 302 and "/hub/login" not in r.headers.get("Location", "")


def row(page, username):
    return page.locator(f'#ht-accounts tr[data-username="{username}"]')


async def test_instructors_and_admins_at_a_live_workshop(real_hub_factory, browser_page, tmp_path):
    shots = DOCS_SHOTS if os.environ.get("HUBTYPES_SCREENSHOTS") == "docs" else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    sh = start(real_hub_factory, tmp_path)
    sh.workshop("py")
    [teach] = sh.accounts("--workshop", "py", "--role", "instructor", "--usernames", "teach")
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss")
    lost, slow = sh.accounts("--workshop", "py", "--count", "2")
    browser = browser_page.context.browser
    svc = sh.service

    # item 12: the instructor lands on the workshop pages, not on a server they did not ask for
    page = await login(browser, sh, teach, sh.codes[teach], lands=svc)
    assert not sh.hub.api("GET", f"/users/{teach}").json()["servers"]
    # item 9: the hub's home page links the workshop pages for instructors
    await page.goto(sh.hub.url + "hub/home")
    await page.click("#hubtypes-workshops-home-link")
    await page.wait_for_url(svc)
    await page.goto(svc + "w/py")
    explain = await page.inner_text("#ht-explain")
    assert "Locks" in explain and "Purge" in explain and "deleted" in explain
    assert "+2d" in await page.inner_text("#ht-when-help")

    # a participant logs in and works: their server runs (the spawn is their default)
    participant = await login(browser, sh, lost, sh.codes[lost], lands=f"**/user/{lost}/**")
    assert sh.hub.api("GET", f"/users/{lost}").json()["server"]

    # item 6: a throttled participant, cleared by the instructor from the row
    for _ in range(4):
        sh.hub.login(requests.Session(), slow, "wron-gwro-ngwr-ongg")
    refused = sh.hub.login(requests.Session(), slow, sh.codes[slow])
    assert "/hub/login" in refused.url and login_error(refused)
    await page.goto(svc + "w/py")
    await row(page, slow).locator(".ht-unthrottle").click()
    assert slow in await page.inner_text("#ht-notice")
    assert logs_in(sh, slow, sh.codes[slow])  # the right code works again at once
    audit = sh.call("GET", "workshops/py/audit").json()["events"]
    assert any(e["action"] == "account.throttle_cleared" and e["target"] == slow for e in audit)

    # item 5: a new code for the lost one; the account and its home stay
    home = tmp_path / "homes" / lost
    (home / "notes.txt").write_text("mine")
    await page.goto(svc + "w/py")
    await row(page, lost).locator(".ht-reissue").click()
    await page.wait_for_selector("#ht-reissued")
    assert "1 server(s) stopped" in await page.inner_text("#ht-reissued")
    new_code = await page.inner_text(f'.ht-card[data-username="{lost}"] .ht-code')
    old = sh.hub.login(requests.Session(), lost, sh.codes[lost])
    assert "/hub/login" in old.url and login_error(old)  # the old code, refused at once
    assert not sh.hub.api("GET", f"/users/{lost}").json()["server"]  # the server stopped
    assert (home / "notes.txt").read_text() == "mine"  # the files stayed

    # ...and the browser session that was open ends (auth_refresh_age is 1 s here)
    for _ in range(120):
        await participant.goto(sh.hub.url + "hub/home")
        if "/hub/login" in participant.url:
            break
        await asyncio.sleep(0.25)
    assert "/hub/login" in participant.url, participant.url
    assert logs_in(sh, lost, new_code)  # the new code logs in

    # item 7: a roster uploaded as CSV; the usernames, the renames, then the accounts
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    await page.goto(svc + "w/py")
    await page.click("#ht-roster-link")
    await page.set_input_files("#file", str(roster))
    await page.click("#ht-preview")
    await page.wait_for_selector("#ht-roster-plan")
    plan = await page.inner_text("#ht-roster-plan")
    assert "py-jose" in plan and "py-ada-2" in plan and "py-ada was taken" in plan
    assert not sh.hub.api("GET", "/users/py-ada").status_code == 200  # nothing created yet
    await page.screenshot(path=str(shots / "instructor-roster.png"), full_page=True)
    await page.click("#ht-roster-create")
    await page.wait_for_selector("#ht-cards")
    cards = page.locator(".ht-card")
    assert await cards.count() == 11
    # item 8: each card's QR code is the login URL with the username filled in
    first = page.locator('.ht-card[data-username="py-ada"]')
    url = await first.locator(".ht-qr").get_attribute("data-url")
    assert url == f"{sh.hub.url}hub/login?username=py-ada"
    svg = await first.locator(".ht-qr").inner_html()
    assert _same_svg(svg, qr_svg(url))
    assert "deleted after" in await first.inner_text()
    assert "py-jose" in await page.inner_text("#ht-sheet")  # the instructor's sheet
    await page.screenshot(path=str(shots / "instructor-cards.png"), full_page=True)
    for paper in ("A4", "Letter"):  # the sheet, then 8 + 3 cards: three pages
        pdf = await page.pdf(format=paper, print_background=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3, paper
    prefilled = await browser.new_page()
    await prefilled.goto(url)
    assert await prefilled.input_value("#username_input") == "py-ada"

    # item 10: a bad Extend value comes back on its row, as typed
    await page.goto(svc + "w/py")
    await row(page, slow).locator("input[name=expires]").fill("+2x")
    await row(page, slow).locator("button[value=extend]").click()
    assert "Extend" in await row(page, slow).locator(".ht-row-error").inner_text()
    assert await row(page, slow).locator("input[name=expires]").input_value() == "+2x"

    # item 11: the CSV export works in the browser (the API takes tokens only)
    async with page.expect_download() as info:
        await page.click("#ht-export")
    exported = (await info.value).path()
    rows = list(csv.DictReader(io.StringIO(Path(await exported).read_text())))
    assert {lost, slow, "py-ada"} <= {r["username"] for r in rows}
    assert all(
        r["access_ends"] and r["files_deleted_after"] for r in rows if r["role"] == "participant"
    )

    # item 8: the instructor's sheet from the workshop page, later: usernames, no codes
    await page.goto(svc + "w/py")
    await page.click("#ht-sheet-link")
    sheet = await page.inner_text("#ht-sheet")
    assert {lost, slow, "py-ada", "py-jose"} <= set(sheet.split())
    assert not any(code in sheet for code in sh.codes.values())
    pdf = await page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1

    # the admin lands on the workshop pages too
    admin = await login(browser, sh, boss, sh.codes[boss], lands=svc)
    # item 10: every bad field at once, by its label, the values kept
    await admin.goto(svc + "new")
    await admin.fill("#slug", "py2")
    await admin.fill("#starts", "soon")
    await admin.fill("#ends", "+2d")
    await admin.fill("#delete_after", "later")
    await admin.click("#ht-save")
    summary = await admin.inner_text("#ht-error")
    assert "2 fields" in summary and "Opens" in summary and "Purge" in summary
    assert await admin.input_value("#starts") == "soon"
    assert await admin.input_value("#slug") == "py2"
    await admin.screenshot(path=str(shots / "admin-form-errors.png"), full_page=True)
    # a slug in use: on the same form, the values kept
    await admin.fill("#slug", "py")
    await admin.fill("#starts", "+0s")
    await admin.fill("#delete_after", "+9d")
    await admin.click("#ht-save")
    assert "Slug" in await admin.inner_text("#ht-error")
    assert await admin.input_value("#delete_after") == "+9d"
    # the edit form too: a bad date comes back by its label, with what was typed
    await admin.goto(svc + "w/py/edit")
    await admin.fill("#ends", "next tuesday")
    await admin.fill("#title", "Python, renamed")
    await admin.click("#ht-save")
    assert "Locks" in await admin.inner_text("#ht-error")
    assert await admin.input_value("#ends") == "next tuesday"
    assert await admin.input_value("#title") == "Python, renamed"
    assert sh.call("GET", "workshops/py").json()["title"] != "Python, renamed"  # nothing saved
    # item 11: the export works for a logged-in admin too (their cookie, no token)
    await admin.goto(svc + "w/py")
    async with admin.expect_download() as info:
        await admin.click("#ht-export")
    as_admin = Path(await (await info.value).path()).read_text()
    assert {lost, slow} <= {r["username"] for r in csv.DictReader(io.StringIO(as_admin))}

    # item 12: a purged workshop archived: gone from the lists, its audit log kept
    sh.workshop("old")
    r = sh.call("POST", "workshops/old/reset", json={"confirm": "old"})
    assert r.status_code in (200, 202), r.text
    svchub.wait_for(lambda: sh.call("GET", "workshops/old").json()["status"] == "purged")
    await admin.goto(svc + "w/old")
    await admin.click("#ht-archive")
    await admin.wait_for_url(svc)
    assert await admin.locator('#ht-workshops tr[data-slug="old"]').count() == 0
    await admin.click("#ht-show-archived")
    await admin.wait_for_url("**?archived=true")
    assert await admin.locator('#ht-workshops tr[data-slug="old"]').count() == 1
    audit = sh.call("GET", "workshops/old/audit").json()["events"]
    assert any(e["action"] == "workshop.archive" for e in audit)
    listing = sh.cli("workshop", "list")
    assert "status" in listing.splitlines()[0] and "old" not in listing
    assert re.search(r"^old .* archived", sh.cli("workshop", "list", "--archived"), re.M)

    # item 11: the admin panel shows every workshop, paged, with the time zone
    db = Database(sh.db_url)
    now = utcnow()
    with db.session() as session:
        for i in range(22):
            data = WorkshopInput(f"w{i:02d}", f"W{i:02d}", now, now + timedelta(days=2),
                                 now + timedelta(days=9))  # fmt: skip
            create_workshop(session, data, created_by="test", now=now)
    assert sh.call("POST", "lifecycle").status_code == 200
    await admin.goto(sh.hub.url + "hub/admin")
    await admin.wait_for_selector('#hubtypes-workshops-rows tr[data-slug="py"]')
    assert await admin.locator("#hubtypes-workshops-rows tr").count() == 20
    assert "23 workshops" in await admin.inner_text("#hubtypes-workshops-page")
    locks = await admin.locator("#hubtypes-workshops-rows tr td:nth-child(3)").first.inner_text()
    assert re.search(r"UTC|GMT", locks), locks
    assert await admin.is_visible("#hubtypes-add-users-hint")
    await admin.screenshot(path=str(shots / "admin-panel-paged.png"))
    await admin.click("#hubtypes-workshops-next")
    assert await admin.locator("#hubtypes-workshops-rows tr").count() == 3
    assert await admin.locator('#hubtypes-workshops-rows tr[data-slug="old"]').count() == 0


def _same_svg(shown: str, made: str) -> bool:
    """The browser's serialisation of the inline SVG against segno's (attribute order and
    self-closing tags may differ): the same path data."""

    def path(svg: str) -> str:
        match = re.search(r'\sd="([^"]+)"', svg)
        assert match, svg[:200]
        return match.group(1)

    return path(shown) == path(made)
