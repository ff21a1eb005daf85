"""The issue's story in a real browser (Playwright driving Debian's Chromium).

An instructor creates 10 accounts and downloads the CSV; a participant logs in with
a code from it and gets a server; an admin follows the admin page's Workshops panel
to the reset preview, confirms, and watches it finish; the community user and their
home are intact. Screenshots go to docs/_static/screenshots/ for the docs.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import svchub
from playwright.async_api import TimeoutError as PlaywrightTimeout

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.hub, pytest.mark.browser]
# The docs' screenshots are refreshed only on request (HUBTYPES_SCREENSHOTS=docs), so an
# ordinary test run leaves the work tree as it was.
DOCS_SHOTS = Path(__file__).resolve().parents[3] / "docs" / "_static" / "screenshots"


async def login(browser: Browser, hub_url: str, name: str, code: str) -> Page:
    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(hub_url + "hub/login")
    await page.fill("#username_input", name)
    await page.fill("#password_input", code)
    await page.click("#login_submit")
    await page.wait_for_url(hub_url + "hub/home")
    return page


async def test_instructor_participant_admin(real_hub_factory, browser_page, tmp_path):
    SHOTS = DOCS_SHOTS if os.environ.get("HUBTYPES_SCREENSHOTS") == "docs" else tmp_path / "shots"
    SHOTS.mkdir(parents=True, exist_ok=True)
    sh = svchub.start(real_hub_factory, tmp_path)
    sh.workshop("py")
    [teach] = sh.accounts("--workshop", "py", "--role", "instructor", "--usernames", "teach")
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss")
    # a community user with a home, in the workshop's group by mistake
    sh.hub.api("POST", "/users/carol")
    carol_home = tmp_path / "homes" / "carol"
    carol_home.mkdir(parents=True)
    (carol_home / "thesis.ipynb").write_text("{}")
    browser = browser_page.context.browser
    url = sh.hub.url

    # the instructor creates 10 accounts and downloads the CSV
    page = await login(browser, url, teach, sh.codes[teach])
    r = sh.hub.api("POST", "/groups/workshop-py/users", json={"users": ["carol"]})
    assert r.status_code == 200, r.text
    await page.goto(sh.service)
    await page.click("text=PY")
    await page.fill("#count", "10")
    await page.screenshot(path=str(SHOTS / "instructor-workshop.png"), full_page=True)
    await page.click("#ht-create")
    await page.wait_for_selector("#ht-cards")
    await page.screenshot(path=str(SHOTS / "instructor-credentials.png"), full_page=True)
    async with page.expect_download() as info:
        await page.click("#ht-csv")
    download = await info.value
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text())))
    assert [r["username"] for r in rows] == [f"py-{i:03d}" for i in range(1, 11)]
    # shown once: the workshop page lists the accounts, never their codes
    await page.goto(sh.service + "w/py")
    assert rows[0]["code"] not in await page.content()
    assert await page.locator("#ht-accounts tbody tr").count() == 11

    # a participant logs in with a code from the CSV and gets a server
    participant = await login(browser, url, rows[0]["username"], rows[0]["code"])
    await participant.click("#start")
    await participant.wait_for_url(f"**/user/{rows[0]['username']}/**", timeout=60_000)
    assert sh.hub.api("GET", f"/users/{rows[0]['username']}").json()["server"]

    # the admin follows the Workshops panel to the reset preview (the panel reads the
    # groups' properties, which a lifecycle pass mirrors from the CLI-made workshop)
    assert sh.call("POST", "lifecycle").status_code == 200
    admin = await login(browser, url, boss, sh.codes[boss])
    await admin.goto(url + "hub/admin")
    await admin.wait_for_selector("#hubtypes-reset-py")
    await admin.screenshot(path=str(SHOTS / "admin-panel.png"))
    await admin.click("#hubtypes-reset-py")
    try:  # the service's OAuth round trip, then the preview (a hub listing)
        await admin.wait_for_selector("#ht-confirm-form", timeout=60_000)
    except PlaywrightTimeout:  # once in CI, under load: say where the browser was
        body = (await admin.inner_text("body"))[:1500]
        where = f"no reset preview at {admin.url}:\n{body}\n{sh.hub.log_tail()}"
        raise AssertionError(where) from None
    assert await admin.inner_text("#ht-count-delete") == "10"
    delete_list = await admin.inner_text("#ht-plan-delete")
    assert "carol" not in delete_list and "py-010" in delete_list
    assert "carol" in await admin.inner_text("#ht-plan-keep")
    await admin.screenshot(path=str(SHOTS / "admin-reset-preview.png"), full_page=True)
    await admin.fill("#confirm", "py")
    await admin.click("#ht-confirm")
    await admin.wait_for_url("**/w/py/reset/progress")
    await admin.wait_for_function(
        "document.getElementById('ht-state') && "
        "document.getElementById('ht-state').textContent === 'done'",
        timeout=60_000,
    )
    await admin.wait_for_selector("#ht-result:not([hidden])")
    await admin.screenshot(path=str(SHOTS / "admin-reset-done.png"), full_page=True)

    users = {u["name"] for u in sh.hub.api("GET", "/users?limit=200").json()}
    assert not {r["username"] for r in rows} & users
    assert {"carol", teach, boss} <= users
    assert (carol_home / "thesis.ipynb").read_text() == "{}"
