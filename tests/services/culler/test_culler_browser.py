"""The culler's status page as a hub admin sees it, in Chromium (Playwright).

The admin logs in, finds the culler under the hub's Services menu and on the admin page,
and reads what the last sweep culled, which server is due next and how long it has left,
and that the sweeps since then skipped the listing. Servers are the tiny HTTP processes of
``test_culler_hub`` (``FAKE_SERVER``); the idle timeout is seconds, so the story is short.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from test_culler_hub import make_hub, start_server, status, sweep_with, wait_for

pytestmark = [pytest.mark.hub, pytest.mark.browser]
DOCS_SHOTS = Path(__file__).resolve().parents[3] / "docs" / "_static" / "screenshots"
TIMEOUT = 20


async def test_admin_reads_the_status_page(real_hub_factory, browser_page, tmp_path):
    shots = DOCS_SHOTS if os.environ.get("HUBTYPES_SCREENSHOTS") == "docs" else tmp_path
    hub = make_hub(real_hub_factory, tmp_path, f"--timeout={TIMEOUT} --cull-every=1")
    start_server(hub, "carol")
    time.sleep(TIMEOUT / 2)
    start_server(hub, "bob")  # due half a timeout after carol: the page has time to show it

    def carol_culled(last):
        return any(a["user"] == "carol" and a["done"] for a in last["actions"])

    sweep_with(hub, carol_culled, TIMEOUT + 20, "carol's server to be culled")
    wait_for(lambda: (status(hub).get("skipped_since") or 0) >= 1, 10, "a skipped sweep")

    page = browser_page
    page.set_default_timeout(20_000)
    await page.goto(hub.url + "hub/login")
    await page.fill("#username_input", "boss")  # an admin (DummyAuthenticator)
    await page.fill("#password_input", "any")
    await page.click("#login_submit")
    await page.wait_for_url(re.compile(r".*/hub/(home|spawn).*|.*/user/boss/.*"))
    # linked from the admin page's panel (and in the hub's Services menu)
    await page.goto(hub.url + "hub/admin")
    await page.wait_for_selector("#hubtypes-culler-link")
    services_menu = await page.locator("a.dropdown-item", has_text="culler").count()
    assert services_menu >= 1, "the culler is not in the Services menu"
    await page.click("#hubtypes-culler-link")
    await page.wait_for_selector("#hubtypes-culler-summary")

    summary = await page.inner_text("#hubtypes-culler-summary")
    assert re.search(r"Since then \d+ sweeps? found nothing that could be due", summary), summary
    culled = await page.inner_text("#hubtypes-culled")
    assert re.search(r"carol\s+\(default\)\s+community\s+stop\s+idle\s+yes", culled), culled
    due = await page.inner_text("#hubtypes-due")
    # bob: active, culled in (at most) half a timeout from now, with the time of day
    m = re.search(r"bob\s+\(default\)\s+community\s+active\s+(\d+) s \((\d\d:\d\d:\d\d) UTC\)", due)
    assert m, due
    assert 0 <= int(m.group(1)) <= TIMEOUT / 2 + 2, due
    policies = await page.inner_text("#hubtypes-policies")
    assert re.search(rf"community\s+{TIMEOUT} s\s+none\s+no\s+no\s+yes", policies), policies
    assert re.search(rf"binder\s+{TIMEOUT} s\s+6 h\s+yes\s+yes\s+yes", policies), policies
    usage = await page.inner_text("#hubtypes-usage")
    assert "community" in usage, usage
    await page.screenshot(path=str(shots / "admin-culler-status.png"), full_page=True)
