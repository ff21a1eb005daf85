"""A binder hub end to end on a real hub: the three snippets an operator loads
(20-hubtypes-spawner-binder.py, 40-hubtypes-culler.py, 50-hubtypes-binder-login.py), the real
jupyterhub-tmpauthenticator, the spawner mixin on SimpleLocalProcessSpawner and the culler.

What the visitor's browser does is done with ``requests``: tmpauthenticator's
``TmpAuthenticateHandler.get`` (tmpauthenticator/__init__.py, 1.0.0) logs in a new uuid4 user
and redirects to ``get_next_url``, which for a user with no server is ``/hub/spawn``
(``BaseHandler.get_next_url``, jupyterhub/handlers/base.py). Over
``c.JupyterHub.active_server_limit`` the spawn is refused with 429
(``BaseHandler.spawn_single_user``, the same file). Servers are ``FAKE_SERVER`` (a tiny
HTTP server: the hub sees it up, the culler's busy check sees no kernels); traffic to it
through the proxy is activity (the hub reads it from the proxy's routes every
``last_activity_interval``).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from realhub import FAKE_SERVER, RealHub, free_port

from hubtypes._data import config_d_dir

pytestmark = pytest.mark.hub

IDLE, MAX_AGE = 8, 14  # seconds: the culler's binder policy here

CONFIG = """
import os, sys
os.environ["HUBTYPES_CULLER_URL"] = "http://127.0.0.1:{service_port}"
os.environ["HUBTYPES_DB_URL"] = {db_url!r}
os.environ["HUBTYPES_CULLER_ARGS"] = {culler_args!r}
os.environ["HUBTYPES_BINDER_SERVER_LIMIT"] = "2"
for name in ("20-hubtypes-spawner-binder.py", "40-hubtypes-culler.py",
             "50-hubtypes-binder-login.py"):
    load_subconfig(os.path.join({snippets!r}, name))
print("limits", c.JupyterHub.concurrent_spawn_limit, c.JupyterHub.active_server_limit,
      flush=True)
c.JupyterHub.spawner_class = "hubtypes-simple"
c.HubTypeSpawnerMixin.storage_root = {storage!r}
c.JupyterHub.last_activity_interval = 1
c.Spawner.cmd = {cmd!r}
"""


def binder_hub(factory: Any, tmp_path: Path) -> RealHub:
    config = CONFIG.format(
        service_port=free_port(),
        db_url=f"sqlite:///{tmp_path / 'hubtypes.sqlite'}",
        culler_args=f"--cull-every=1 --timeout={IDLE} --max-age={MAX_AGE} "
        "--CullerService.default_hub_type=binder",
        snippets=str(config_d_dir()),
        storage=str(tmp_path / "storage"),
        cmd=[sys.executable, "-c", FAKE_SERVER],
    )
    hub = factory(config)
    hub.db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"  # type: ignore[attr-defined]
    return hub


def users(hub: RealHub) -> set[str]:
    return {u["name"] for u in hub.api("GET", "/users").json()}


def visit(hub: RealHub) -> tuple[requests.Session, str, requests.Response]:
    """A new browser follows the hub's anonymous link; returns it, its user and the page."""
    before = users(hub)
    browser = requests.Session()
    page = browser.get(hub.url + "hub/tmplogin", timeout=60)
    (name,) = users(hub) - before
    return browser, name, page


def wait_for(predicate: Any, timeout: float, what: str, hub: RealHub) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n{hub.log_tail()}")


def exists(hub: RealHub, name: str) -> bool:
    return hub.api("GET", f"/users/{name}").status_code == 200


def test_visitors_get_a_server_without_an_account_and_are_gone_with_it(real_hub_factory, tmp_path):
    hub = binder_hub(real_hub_factory, tmp_path)
    assert "limits 10 2" in hub.log_text()  # the default spawn limit, the server limit set
    homes = tmp_path / "storage" / "binder"

    # a visitor: no account, a random name, a server of their own in a throw-away home
    a_browser, a, _ = visit(hub)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", a)
    hub.wait_ready(a)
    (a_home,) = homes.iterdir()
    assert (a_home / "_default").is_dir()
    model = hub.api("GET", f"/users/{a}").json()
    assert not model["admin"] and model["servers"][""]["ready"]
    # the same browser stays the same visitor; the link again is a new one
    assert a_browser.get(hub.url + f"user/{a}/api/kernels", timeout=30).json() == []
    b_browser, b, _ = visit(hub)
    hub.wait_ready(b)
    assert a != b and len(list(homes.iterdir())) == 2
    # b keeps working all along (requests through the proxy are activity)
    b_done = threading.Event()

    def work() -> None:
        while not b_done.is_set():
            with contextlib.suppress(requests.RequestException):
                b_browser.get(hub.url + f"user/{b}/api/status", timeout=30)
            b_done.wait(0.5)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()

    # active_server_limit: a third visitor is told to come back later
    _, c, refused = visit(hub)
    assert refused.status_code == 429, refused.text[:500]
    assert "Active user limit exceeded" in refused.text

    # a stops their server: the home goes at once, the visitor at the culler's next
    # sweep after the idle timeout
    r = hub.api("DELETE", f"/users/{a}/server")
    assert r.status_code in (202, 204), r.text
    wait_for(lambda: not (a_home / "_default").exists(), 30, "a's home to be deleted", hub)
    wait_for(lambda: not exists(hub, a), IDLE + 20, "the culler to delete a", hub)
    assert f"Deleting user {a} (binder, ephemeral)" in hub.log_text()

    # b, still working, is stopped by the max age (and then deleted)
    wait_for(lambda: not exists(hub, b), MAX_AGE + 30, "the max age to stop b", hub)
    b_done.set()
    worker.join()
    culled = re.search(rf"Culling server {b} \(binder, max-age, idle (\S+), age (\S+)\)",
                       hub.log_text())  # fmt: skip
    assert culled, hub.log_tail()
    idle = sum(int(x) * 60**i for i, x in enumerate(reversed(culled.group(1).split(":"))))
    assert idle < IDLE  # active when the max age stopped it
    # every home is gone (the empty per-visitor folder above them stays: the spawner
    # removes homes only)
    assert list(homes.glob("*/*")) == [], list(homes.glob("*/*"))
    # the refused visitor never ran a server: deleted too
    wait_for(lambda: not exists(hub, c), IDLE + 20, "the culler to delete c", hub)


def test_usage_counts_outlive_the_deleted_visitors(real_hub_factory, tmp_path):
    """Item 6: the counts are in hubtypes' database; admins read them on the culler's status
    page (or its JSON, with a token) and with `hubtypes usage` on a hub where nobody logs in
    as an admin."""
    hub = binder_hub(real_hub_factory, tmp_path)
    names = []
    for _ in range(2):
        _, name, _ = visit(hub)
        hub.wait_ready(name)
        names.append(name)

    def status() -> dict[str, Any]:
        r = requests.get(hub.url + "services/culler/api/status", timeout=10,
                         headers={"Authorization": f"token {hub.admin_token}"})  # fmt: skip
        return r.json() if r.status_code == 200 else {}

    # both seen running by a sweep, then stopped and deleted
    def counted() -> bool:
        usage = status().get("usage", [])
        return any(u["hub_type"] == "binder" and u["active_users"] == 2 for u in usage)

    wait_for(counted, 30, "a sweep to count", hub)
    for name in names:
        hub.api("DELETE", f"/users/{name}/server")
    wait_for(lambda: not any(exists(hub, n) for n in names), IDLE + 30, "deletions", hub)
    assert users(hub) == set()  # nobody left but the count

    (row,) = [u for u in status()["usage"] if u["hub_type"] == "binder"]
    assert row["active_users"] == 2 and row["server_seconds"] > 0
    page = requests.get(hub.url + "services/culler/", timeout=10,
                        headers={"Authorization": f"token {hub.admin_token}"})  # fmt: skip
    assert page.status_code == 200
    usage_table = page.text.split('id="hubtypes-usage"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"<td>binder</td><td></td>\s*<td>2</td>", usage_table), usage_table
    out = subprocess.run(
        [sys.executable, "-m", "hubtypes.cli", "usage", "--db-url", hub.db_url],  # type: ignore[attr-defined]
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    (line,) = [x for x in out.splitlines() if " binder " in f" {x} "]
    assert line.split()[1:3] == ["binder", "2"], out
