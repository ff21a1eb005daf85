"""What a reset confirms is what was previewed; its counts are right; its audit is complete.

Issue 10, finding 13, on a real hub, in Chromium driven by Playwright for the page:
ticking "also delete materials" and confirming without "Update preview" used to run the
previewed plan (materials kept, without a word); the progress page showed "1 of 0
servers stopped" (the total came from a progress record written before the reset had
counted them, and the page's script updated only the other number); the audit page
showed the options' names without their values.
"""

from __future__ import annotations

import re
from pathlib import Path

import clirun
import pytest
import svchub

pytestmark = pytest.mark.hub

# every text the progress counts show, kept across the page's own reloads
RECORD_COUNTS = """
(() => {
  const keep = () => {
    const el = document.getElementById("ht-counts");
    if (!el) return;
    const seen = JSON.parse(sessionStorage.getItem("ht-counts") || "[]");
    seen.push(el.textContent.replace(/\\s+/g, " ").trim());
    sessionStorage.setItem("ht-counts", JSON.stringify(seen));
  };
  document.addEventListener("DOMContentLoaded", () => {
    keep();
    const el = document.getElementById("ht-counts");
    if (el) new MutationObserver(keep).observe(el, {subtree: true, childList: true,
                                                    characterData: true});
  });
})();
"""


def start(factory, tmp_path: Path, storage: Path) -> svchub.ServiceHub:
    """svchub.start, with the service's storage_root set (so it can remove materials)."""
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    homes = tmp_path / "homes"
    homes.mkdir(exist_ok=True)
    clirun.db_upgrade(db_url)
    config = svchub.ServiceHub.config(db_url, homes) + (
        "\nc.JupyterHub.services[-1]['command'].append("
        f"'--WorkshopService.storage_root={storage}')\n"
    )
    sh = svchub.ServiceHub(factory(config), db_url, tmp_path)
    sh.wait_service()
    return sh


def materials(storage: Path, slug: str) -> tuple[Path, Path]:
    root = storage / "workshops" / slug
    for sub in ("_materials", "_shared"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / "notes.md").write_text("# day 1")
    return root / "_materials", root / "_shared"


def test_the_api_starts_only_the_previewed_plan(real_hub_factory, tmp_path):
    storage = tmp_path / "storage"
    sh = start(real_hub_factory, tmp_path, storage)
    sh.workshop("a")
    sh.accounts("--workshop", "a", "--count", "2")
    r = sh.call("POST", "workshops/a/reset?dry_run=true", json={})
    digest = r.json()["plan"]["digest"]
    # the same options again: the same digest; another option: another one
    again = sh.call("POST", "workshops/a/reset?dry_run=true", json={}).json()["plan"]
    other = sh.call("POST", "workshops/a/reset?dry_run=true",
                    json={"include_shared_folders": True}).json()["plan"]  # fmt: skip
    assert again["digest"] == digest != other["digest"]
    # an account added after the preview: the previewed plan is not the one that would run
    sh.accounts("--workshop", "a", "--count", "1")
    r = sh.call("POST", "workshops/a/reset", json={"confirm": "a", "digest": digest})
    assert (r.status_code, r.json()["field"]) == (409, "digest"), r.text
    r = sh.call("POST", "workshops/a/reset", json={"confirm": "a", "digest": other["digest"],
                                                   "include_shared_folders": False})  # fmt: skip
    assert r.status_code == 409, r.text
    assert len(sh.call("GET", "workshops/a/accounts").json()["accounts"]) == 3  # untouched
    assert sh.call("GET", "workshops/a/reset").status_code == 404  # no reset was recorded
    fresh = sh.call("POST", "workshops/a/reset?dry_run=true", json={}).json()["plan"]
    r = sh.call("POST", "workshops/a/reset", json={"confirm": "a", "digest": fresh["digest"]})
    assert r.status_code == 202, r.text


@pytest.mark.browser
async def test_the_page_confirms_what_it_previewed(real_hub_factory, browser_page, tmp_path):
    storage = tmp_path / "storage"
    sh = start(real_hub_factory, tmp_path, storage)
    sh.workshop("py")
    names = sh.accounts("--workshop", "py", "--count", "2")
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss")
    shared = materials(storage, "py")
    sh.login(names[0])
    assert sh.hub.api("POST", f"/users/{names[0]}/server").status_code in (201, 202)
    sh.hub.wait_ready(names[0])

    context = await browser_page.context.browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.add_init_script(RECORD_COUNTS)
    await page.goto(sh.hub.url + "hub/login")
    await page.fill("#username_input", boss)
    await page.fill("#password_input", sh.codes[boss])
    await page.click("#login_submit")
    await page.wait_for_url(sh.hub.url + "hub/home")

    await page.goto(sh.service + "w/py/reset")
    assert await page.inner_text("#ht-count-delete") == "2"
    digest = page.locator("#ht-digest")
    previewed = await digest.get_attribute("value") if await digest.count() else None
    # tick "also delete materials", do not update the preview, confirm
    await page.check("#opt-include_shared_folders")
    await page.fill("#confirm", "py")
    async with page.expect_response(lambda r: r.request.method == "POST") as info:
        await page.click("#ht-confirm")
    response = await info.value
    assert response.status == 409, (response.status, response.url, shared[0].exists())
    error = await page.inner_text("#ht-error")
    assert "also delete materials and shared folders" in error, error
    assert "previewed: no, now: yes" in error and "Nothing was deleted" in error, error
    # nothing was done, and the page now previews the ticked option
    assert all(p.exists() for p in shared)
    users = {u["name"] for u in sh.hub.api("GET", "/users?limit=200").json()}
    assert names[0] in users and sh.call("GET", "workshops/py/reset").status_code == 404
    assert await page.is_checked("#opt-include_shared_folders")
    assert await page.get_attribute("#ht-digest", "value") != previewed
    assert "materials and shared folders: yes" in await page.inner_text("#ht-previewed")

    # "Update preview" with a changed option: a new preview, nothing started
    await page.uncheck("#opt-include_shared_folders")
    await page.click("#ht-update")
    await page.wait_for_url("**/w/py/reset")
    assert "materials and shared folders: no" in await page.inner_text("#ht-previewed")
    await page.check("#opt-include_shared_folders")
    await page.click("#ht-update")
    await page.wait_for_url("**/w/py/reset?include_shared_folders=true")

    # confirm what is shown: the reset runs with it
    await page.fill("#confirm", "py")
    await page.click("#ht-confirm")
    await page.wait_for_url("**/w/py/reset/progress")
    await page.wait_for_function(
        "document.getElementById('ht-state') && "
        "document.getElementById('ht-state').textContent === 'done'",
        timeout=90_000,
    )
    await page.wait_for_selector("#ht-result:not([hidden])")
    assert not any(p.exists() for p in shared)
    assert "2 of 2 accounts deleted; 1 of 1 servers stopped" in " ".join(
        (await page.inner_text("#ht-counts")).split()
    )
    # the counts were never more than their totals while it ran
    seen = await page.evaluate("JSON.parse(sessionStorage.getItem('ht-counts') || '[]')")
    assert seen, "the progress counts were not recorded"
    for text in seen:
        m = re.search(r"(\d+) of (\d+) accounts deleted; (\d+) of (\d+) servers stopped", text)
        assert m, text
        deleted, total, stopped, servers = map(int, m.groups())
        assert deleted <= total == 2 and stopped <= servers == 1, seen

    # the audit log says every option with its value
    await page.goto(sh.service + "w/py/audit")
    audit = await page.inner_text("#ht-audit")
    assert "include_shared_folders=yes" in audit and "include_instructors=no" in audit, audit
    events = sh.call("GET", "workshops/py/audit").json()["events"]
    start_event = next(e for e in events if e["action"] == "reset.start")
    assert start_event["details"]["options"] == {
        "include_instructors": False,
        "include_shared_folders": True,
    }
    await context.close()
