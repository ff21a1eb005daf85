"""Workshop grants in a real browser (Playwright driving Debian's Chromium) on an OAuth hub.

Everyone signs in through the authlib provider's own page (tests/oauth_provider.py), sent
there by the hub's login button, as GenericOAuthenticator + WorkshopAccessMixin do it
(tests/grantshub.py). An instructor, made one by ``hubtypes grants add --role instructor``,
grants the workshop on its Identities page; a guest sees the workshop on the hub's home
page with its dates, starts it and is logged out at the lock; a community member starts the
workshop's own server beside their default one and keeps that server and their home after
the purge.

The home page's list comes from the mixin's callable ``template_vars`` entry, which the hub
calls with the user at each render (jupyterhub/handlers/base.py ``template_namespace``, the
same in 5.5.1 and 6.1.1); the lock's logout from ``refresh_user`` returning False
(handlers/base.py ``refresh_auth``, here at most a second after the lock:
``auth_refresh_age = 1``). Time passing is stood in for by moving the workshop's dates.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import grantshub
import pytest
from grantshub import move_dates, provider_fixture  # noqa: F401 (the provider fixture)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = [pytest.mark.hub, pytest.mark.browser]
SPAWN = 90_000  # a real jupyter-server starting on a shared machine


async def sign_in(browser: Browser, hub_url: str, who: str) -> Page:
    """The hub's login page -> its 'Sign in with Loopback ID' button -> the provider's form."""
    page = await (await browser.new_context()).new_page()
    page.set_default_timeout(20_000)
    await page.goto(hub_url + "hub/login")
    await page.click("text=Sign in with Loopback ID")
    await page.wait_for_selector("text=Sign in to Loopback ID")
    await page.fill("#who", who)
    await page.click("#sign-in")
    await page.wait_for_url(hub_url + "hub/home")
    return page


async def test_grants_in_the_browser(real_hub_factory, provider, browser_page, tmp_path: Path):
    gh = grantshub.start(real_hub_factory, provider, tmp_path)
    hub = gh.hub
    gh.workshop("py")
    gh.cli("grants", "add", "--workshop", "py", "--role", "instructor", "teach")
    browser = browser_page.context.browser
    assert browser is not None

    # the instructor grants the workshop on its Identities page
    teach = await sign_in(browser, hub.url, "teach")
    await teach.goto(gh.service)
    await teach.click("text=PY")
    await teach.click("#ht-grants-link")
    await teach.fill("#identities", "  Alice \ncarol")
    await teach.click("#ht-grant")
    await teach.wait_for_selector("#ht-result")
    assert "→ alice" in await teach.inner_text("#ht-normalised")
    for name in ("alice", "carol"):
        assert await teach.locator(f'#ht-grants tr[data-identity="{name}"]').count() == 1

    # the guest sees the workshop with its dates on the home page and starts it there
    alice = await sign_in(browser, hub.url, "alice")
    card = await alice.inner_text("#hubtypes-workshop-servers")
    assert "Workshop PY" in card and "your default server" in card
    assert "opens " in card and "locks " in card and "removed after " in card
    await alice.click("#hubtypes-workshop-start-py")
    await alice.wait_for_url("**/user/alice/**", timeout=SPAWN)
    assert (gh.storage / "workshops/py/alice").is_dir()

    # the community member: their own default server, and the workshop's beside it
    carol = await sign_in(browser, hub.url, "carol")
    assert "workshop-py" in await carol.inner_text("#hubtypes-workshop-servers")
    await carol.click("#start")
    await carol.wait_for_url("**/user/carol/**", timeout=SPAWN)
    # the browser reaches the hub's own /hub/user/carol/ while the spawn goes on: wait until
    # the hub says the server is ready (in a thread: the browser's connection stays served)
    await asyncio.to_thread(hub.wait_ready, "carol", "", SPAWN / 1000)
    await carol.goto(hub.url + "hub/home")
    await carol.click("#hubtypes-workshop-start-py")
    await carol.wait_for_url("**/user/carol/workshop-py/**", timeout=SPAWN)
    await asyncio.to_thread(hub.wait_ready, "carol", "workshop-py", SPAWN / 1000)
    thesis = gh.storage / "community/carol/thesis.ipynb"
    thesis.write_text("{}")

    # the lock: the guest's next page is the login page; the member stays logged in
    move_dates(gh.db_url, "py", ends_at="-1 minute")
    assert gh.call("POST", "lifecycle").json()["grants_locked"] == ["alice", "carol"]
    await alice.goto(hub.url + "hub/home")
    await alice.wait_for_url("**/hub/login**")
    assert hub.api("GET", "/users/alice").json()["servers"] == {}

    # the purge: the member keeps their default server and home; the workshop's is gone
    move_dates(gh.db_url, "py", ends_at="-2 minutes", delete_after="-1 minute")
    # the instructor's grant goes too (staff until the purge, not after)
    assert gh.call("POST", "lifecycle").json()["grants_purged"] == ["alice", "carol", "teach"]
    await carol.goto(hub.url + "hub/home")
    assert carol.url == hub.url + "hub/home"
    assert await carol.locator("#hubtypes-workshop-servers").count() == 0
    # the default server runs on
    assert await carol.locator("#stop").is_visible(), (
        hub.api("GET", "/users/carol").json(), hub.log_tail())  # fmt: skip
    assert await carol.locator('tr[data-server-name="workshop-py"]').count() == 0
    assert thesis.read_text() == "{}"
    assert not (gh.storage / "workshops/py/carol").exists()
    assert hub.api("GET", "/users/alice").status_code == 404
    hub.api("DELETE", "/users/carol/server")
