"""Playwright drives Debian's Chromium against a real hub."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from realhub import HubFactory

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = [pytest.mark.hub, pytest.mark.browser]


async def test_login_page_screenshot(
    real_hub_factory: HubFactory, browser_page: Page, tmp_path: Path
) -> None:
    hub = real_hub_factory(
        "c.JupyterHub.authenticator_class = 'dummy'\n"
        "c.Authenticator.allow_all = True\n"
        "c.JupyterHub.redirect_to_server = False\n"  # land on home, spawn nothing
    )
    await browser_page.goto(hub.url + "hub/login")
    await browser_page.fill("#username_input", "alice")
    await browser_page.fill("#password_input", "anything")
    shot = tmp_path / "login.png"
    await browser_page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    await browser_page.click("#login_submit")
    await browser_page.wait_for_url(hub.url + "hub/home")
    assert await browser_page.locator("#start").count() == 1  # "Start My Server"
