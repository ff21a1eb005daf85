"""A participant's workshop in Chromium (Playwright, Debian's /usr/bin/chromium), on a real
hub with the workshop service and real JupyterLab servers with jupyter-archive.

The browser is in New York's time zone: the dates read in its own zone (the hub writes
UTC; ``<time datetime>`` is converted with ``Intl.DateTimeFormat``). The participant finds
WORKSHOP-DATES.md in JupyterLab, downloads a folder with jupyter-archive's "Download as an
Archive" (its ``/directories/`` endpoint of the real jupyter-server), is warned before the
lock, and after it JupyterLab itself goes (hubtypes' JupyterLab extension, hubtypes-lab) to
the hub's page that says the access ended and when the files go, with no "Server
unavailable" dialog; a server stopped for any other reason still gets JupyterLab's stock
dialog. A refused login shows the dates too.

Screenshots go to docs/_static/screenshots/ with HUBTYPES_SCREENSHOTS=docs (as in
tests/services/workshop/test_browser_workshop.py), else to the test's own folder.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest
import requests
import svchub
from participanthub import participant_hub

pytestmark = [pytest.mark.hub, pytest.mark.browser]
DOCS_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "_static" / "screenshots"
ZONE = "America/New_York"


async def test_participant_dates_files_and_the_end(real_hub_factory, browser_page, tmp_path):
    shots = DOCS_SHOTS if os.environ.get("HUBTYPES_SCREENSHOTS") == "docs" else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    sh = participant_hub(real_hub_factory, tmp_path, 'c.Spawner.default_url = "/lab"', lab=True)
    sh.workshop("py", ends="+2d", purge="+9d")
    [teach] = sh.accounts("--workshop", "py", "--role", "instructor", "--usernames", "teach")
    url = sh.hub.url
    browser = browser_page.context.browser
    context = await browser.new_context(
        timezone_id=ZONE,
        locale="en-US",
        accept_downloads=True,
        viewport={"width": 1200, "height": 800},
    )
    page = await context.new_page()
    page.set_default_timeout(30_000)

    # the instructor's printed card says both dates, in the printing browser's zone
    await page.goto(url + "hub/login")
    await page.fill("#username_input", teach)
    await page.fill("#password_input", sh.codes[teach])
    await page.click("#login_submit")
    await page.wait_for_url(url + "hub/home")
    await page.goto(sh.service + "w/py")
    await page.fill("#count", "1")
    await page.click("#ht-create")
    card = page.locator(".ht-card").first
    ann = str(await card.get_attribute("data-username"))
    sh.codes[ann] = await card.locator(".ht-code").inner_text()
    card_dates = await card.locator(".ht-dates").inner_text()
    assert "Your access ends" in card_dates and "your files are deleted after" in card_dates
    assert "EST" in card_dates
    await page.screenshot(path=str(shots / "instructor-card-dates.png"))
    await page.goto(url + "hub/logout")

    # the home page after login: both dates, in the browser's zone (UTC in the title)
    await page.goto(url + "hub/login")
    await page.fill("#username_input", ann)
    await page.fill("#password_input", sh.codes[ann])
    await page.click("#login_submit")
    await page.wait_for_url(url + "hub/home")
    dates = page.locator("#hubtypes-dates")
    assert await dates.get_attribute("data-phase") == "active"
    ends = page.locator("#hubtypes-dates time").first
    assert await ends.get_attribute("data-hubtypes-local") == ZONE
    assert "EST" in await ends.inner_text()  # December in New York
    assert (await ends.get_attribute("title")).endswith(" UTC")
    assert "your files are deleted after" in await dates.inner_text()
    await page.screenshot(path=str(shots / "participant-home-dates.png"))

    # JupyterLab: the dates file in the home, and a folder downloaded as one archive
    await page.click("#start")
    await page.wait_for_url(f"**/user/{ann}/lab**", timeout=90_000)
    token = sh.token(ann)
    contents = f"{url}user/{ann}/api/contents/"
    auth = {"Authorization": f"token {token}"}
    assert requests.put(contents + "project", json={"type": "directory"}, headers=auth,
                        timeout=30).status_code == 201  # fmt: skip
    script = {"type": "file", "format": "text", "content": "print(42)\n"}
    assert requests.put(contents + "project/analysis.py", headers=auth, json=script,
                        timeout=30).ok  # fmt: skip
    listing = page.locator(".jp-DirListing-content")
    await listing.locator(".jp-DirListing-item", has_text="WORKSHOP-DATES.md").wait_for(
        timeout=90_000
    )
    news = page.locator(".jp-Notification-Toast-default", has_text="Jupyter news")
    if await news.count():
        await news.get_by_role("button", name="No", exact=True).click()  # JupyterLab's own
    await page.locator(".jp-DirListing-item", has_text="WORKSHOP-DATES.md").click(button="right")
    await page.locator(".lm-Menu-item", has_text="Open With").hover()
    await page.locator(".lm-Menu-item", has_text="Markdown Preview").click()
    await page.locator(".jp-RenderedMarkdown", has_text="Your files are deleted after:").wait_for()
    await page.screenshot(path=str(shots / "participant-lab-dates.png"))
    await page.click("#jp-main-dock-panel")  # leave the editor's focus
    await page.locator(".jp-DirListing-content").get_by_text("project", exact=True).wait_for()
    await page.locator(".jp-DirListing-item", has_text="project").first.click(button="right")
    item = page.locator(".lm-Menu-item", has_text="Download as an Archive").first
    await item.wait_for()
    await page.screenshot(path=str(shots / "participant-download-archive.png"))
    async with page.expect_download(timeout=60_000) as info:
        await item.click()
    download = await info.value
    assert download.suggested_filename == "project.zip"
    with zipfile.ZipFile(io.BytesIO(Path(await download.path()).read_bytes())) as archive:
        assert archive.read("project/analysis.py") == b"print(42)\n"

    # a server stopped for another reason (an admin, the culler): JupyterLab's stock
    # dialog, now from hubtypes-lab, whose Restart would start it again
    assert sh.hub.api("DELETE", f"/users/{ann}/server").status_code in (202, 204)
    svchub.wait_for(lambda: not sh.hub.api("GET", f"/users/{ann}").json()["server"],
                    what="the server to stop")  # fmt: skip
    stock = page.locator(".jp-Dialog", has_text="Server unavailable or unreachable")
    await stock.wait_for(timeout=120_000)
    await page.screenshot(path=str(tmp_path / "server-stopped-stock-dialog.png"))
    await stock.get_by_role("button", name="Dismiss").click()
    assert sh.hub.api("POST", f"/users/{ann}/server").status_code in (201, 202)
    svchub.wait_for(lambda: sh.hub.api("GET", f"/users/{ann}").json()["server"],
                    what="the server to start again", timeout=90)  # fmt: skip
    await page.reload()
    await page.locator(".jp-DirListing-item", has_text="WORKSHOP-DATES.md").wait_for(timeout=90_000)

    # warned before the lock: 10 minutes left
    assert sh.call("PATCH", f"workshops/py/accounts/{ann}", json={"expires": "+10m"}).ok
    time.sleep(1.1)  # past auth_refresh_age: the next page re-reads the account
    home = await context.new_page()
    await home.goto(url + "hub/home")
    warning = home.locator("#hubtypes-lock-warning")
    assert "ends in" in await warning.inner_text()
    await home.screenshot(path=str(shots / "participant-lock-warning.png"))
    await home.close()
    # and inside JupyterLab (hubtypes-lab asks the hub at start, then every minute in the
    # last hour): shown at start, well before the next check 60 s on
    await page.reload()
    toast = page.locator(".jp-Notification-Toast-warning", has_text="ends in")
    await toast.wait_for(timeout=45_000)
    await page.screenshot(path=str(shots / "participant-lab-lock-warning.png"))

    # the lock stops the server; JupyterLab goes to the page that gives the reason
    assert sh.call("PATCH", f"workshops/py/accounts/{ann}", json={"expires": "+2s"}).ok

    def locked() -> bool:
        accounts = sh.call("GET", "workshops/py/accounts").json()["accounts"]
        return any(a["username"] == ann and a["status"] == "locked" for a in accounts)

    svchub.wait_for(locked, what="the lock")
    assert sh.call("POST", "lifecycle").status_code == 200
    svchub.wait_for(lambda: not sh.hub.api("GET", f"/users/{ann}").json()["server"],
                    what="the server to stop")  # fmt: skip
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))  # a browser alert: none either
    await page.wait_for_url("**/hub/login**", timeout=120_000)
    ended_page = page
    assert not dialogs
    ended = ended_page.locator("#hubtypes-session-ended")
    text = await ended.inner_text()
    assert "Your workshop access has ended" in text and "ask your instructor" in text
    assert await ended.locator("time").last.get_attribute("data-hubtypes-local") == ZONE
    await ended_page.screenshot(path=str(shots / "participant-access-ended.png"))

    # logging in again: refused, with the dates, also in the browser's zone
    await ended_page.fill("#username_input", ann)
    await ended_page.fill("#password_input", sh.codes[ann])
    await ended_page.click("#login_submit")
    await ended_page.locator("p.login_error").wait_for()
    assert "Your files are deleted after" in await ended_page.inner_text("p.login_error")
    local = ended_page.locator("#hubtypes-login-dates")
    assert await local.is_visible() and "EST" in await local.inner_text()
    await ended_page.screenshot(path=str(shots / "participant-login-refused.png"))
    await context.close()
