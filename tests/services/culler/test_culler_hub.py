"""The culler as a managed service of a real hub (loaded through its drop-in snippet).

Servers are tiny HTTP processes (``FAKE_SERVER``: it answers every GET with ``[]``, so the
hub sees it up and the busy check sees no kernels) started by SimpleLocalProcessSpawner;
the slow-stop test uses a test spawner, ``SlowStopSpawner``, whose ``stop`` first sleeps a
few seconds; the busy-kernel test runs a real jupyter-server whose kernel runs
``time.sleep``. Timeouts are seconds, so the tests are short.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import clirun
import pytest
import requests
from realhub import FAKE_SERVER, NO_LAB_ARGS, RealHub, free_port

from hubtypes._data import config_d_dir

pytestmark = pytest.mark.hub

CONFIG = """
import asyncio, os, sys
from jupyterhub.spawner import SimpleLocalProcessSpawner
os.environ["HUBTYPES_CULLER_URL"] = "http://127.0.0.1:{service_port}"
os.environ["HUBTYPES_DB_URL"] = {db_url!r}
os.environ["HUBTYPES_CULLER_ARGS"] = {args!r}
load_subconfig({snippet!r})

class SlowStopSpawner(SimpleLocalProcessSpawner):
    async def stop(self, now=False):
        await asyncio.sleep({stop_delay})
        await super().stop(now=now)

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.admin_users = {{"boss"}}  # created as an admin at start
c.JupyterHub.spawner_class = SlowStopSpawner
c.JupyterHub.allow_named_servers = True
c.JupyterHub.last_activity_interval = 1
c.JupyterHub.cleanup_servers = False
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = {cmd!r}
c.Spawner.args = {spawner_args!r}
"""


@pytest.fixture
def real_hub_factory(real_hub_factory: Any) -> Any:
    """The shared factory; servers a failed test left running are stopped before the hub
    (``cleanup_servers`` is off here, so that servers survive a restart)."""
    made: list[RealHub] = []

    def factory(*args: Any, **kw: Any) -> RealHub:
        hub = real_hub_factory(*args, **kw)
        made.append(hub)
        return hub

    yield factory
    for hub in made:
        if hub.running:
            for model in hub.api("GET", "/users", params={"state": "active", "limit": 200}).json():
                for server in model.get("servers") or {}:
                    path = f"/users/{model['name']}/servers/{server}" if server else (
                        f"/users/{model['name']}/server")  # fmt: skip
                    hub.api("DELETE", path, json={"remove": False}, timeout=30)


def make_hub(factory: Any, tmp_path: Path, args: str, *, stop_delay: float | str = 0.0,
             real_server: bool = False, server_code: str = FAKE_SERVER) -> RealHub:  # fmt: skip
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    cli(db_url, "db", "upgrade")
    homes = tmp_path / "homes"
    homes.mkdir(exist_ok=True)
    cmd = ["jupyterhub-singleuser"] if real_server else [sys.executable, "-c", server_code]
    config = CONFIG.format(
        service_port=free_port(),
        db_url=db_url,
        args=args,
        snippet=str(config_d_dir() / "40-hubtypes-culler.py"),
        stop_delay=stop_delay,
        homes=str(homes),
        cmd=cmd,
        spawner_args=["--allow-root", *NO_LAB_ARGS] if real_server else [],  # kernels, no lab
    )
    hub = factory(config, start=False)
    hub.config = hub.config.replace("{hub_url}", hub.url.rstrip("/"))  # known before it starts
    hub.start()
    hub.db_url = db_url  # type: ignore[attr-defined]
    return hub


def cli(db_url: str, *args: str) -> str:
    return clirun.ok(*args, "--db-url", db_url)


def start_server(hub: RealHub, name: str, server: str = "") -> None:
    if hub.api("GET", f"/users/{name}").status_code == 404:
        r = hub.api("POST", "/users", json={"usernames": [name]})
        assert r.status_code == 201, r.text
    path = f"/users/{name}/servers/{server}" if server else f"/users/{name}/server"
    r = hub.api("POST", path)
    assert r.status_code in (201, 202), r.text
    wait_for(lambda: ready(hub, name, server), 30, f"{name}/{server} to start")


def ready(hub: RealHub, name: str, server: str = "") -> bool:
    model = hub.api("GET", f"/users/{name}").json()
    return bool((model.get("servers") or {}).get(server, {}).get("ready"))


def user_exists(hub: RealHub, name: str) -> bool:
    return hub.api("GET", f"/users/{name}").status_code == 200


def status(hub: RealHub) -> dict[str, Any]:
    try:
        r = requests.get(hub.url + "services/culler/api/status", timeout=10,
                         headers={"Authorization": f"token {hub.admin_token}"})  # fmt: skip
    except requests.RequestException:
        return {}
    return r.json() if r.status_code == 200 else {}


def metrics(hub: RealHub) -> str:
    r = requests.get(hub.url + "services/culler/metrics",
                     headers={"Authorization": f"token {hub.admin_token}"}, timeout=10)  # fmt: skip
    assert r.status_code == 200, r.text
    return r.text


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def sweep_with(hub: RealHub, predicate: Any, timeout: float, what: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        last = (status(hub) or {}).get("last_sweep")
        return last if last and predicate(last) else None

    return wait_for(check, timeout, what)  # type: ignore[no-any-return]


def test_dry_run_then_culls_by_type_keeping_community_users(real_hub_factory, tmp_path):
    hub = make_hub(real_hub_factory, tmp_path,
                   "--timeout=3 --cull-every=1 --cull-users --dry-run")  # fmt: skip
    db = hub.db_url  # type: ignore[attr-defined]
    cli(db, "workshop", "create", "py", "--title", "Py", "--starts", "+0s", "--ends", "+2d",
        "--delete-after", "+9d")  # fmt: skip
    cli(db, "accounts", "create", "--workshop", "py", "--usernames", "py-001", "--skip-hub-check")
    start_server(hub, "carol")  # community
    start_server(hub, "carol", "second")
    start_server(hub, "boss")  # a community admin
    start_server(hub, "py-001")  # a workshop participant: deleted with --cull-users

    # the dry run reports what it would do, and changes nothing
    last = sweep_with(hub, lambda s: len(s["actions"]) == 5, 30, "a dry-run sweep")
    assert last["dry_run"] and not any(a["done"] for a in last["actions"])
    seen = sorted((a["user"], a["server"], a["kind"], a["action"], a["reason"])
                  for a in last["actions"])  # fmt: skip
    assert seen == [
        ("boss", "", "community", "stop", "idle"),
        ("carol", "", "community", "stop", "idle"),
        ("carol", "second", "community", "stop", "idle"),
        ("py-001", "", "workshop-participant", "delete-user", "ephemeral"),
        ("py-001", "", "workshop-participant", "stop", "idle"),
    ]
    servers = [("carol", ""), ("carol", "second"), ("boss", ""), ("py-001", "")]
    assert all(ready(hub, *s) for s in servers)
    assert "Would cull server carol/second (community, idle" in hub.log_text()

    # for real: servers stop, the participant goes, community users and the admin stay
    hub.config = hub.config.replace(" --dry-run", "")
    hub.restart()  # cleanup_servers is off: the servers keep running across the restart
    last = sweep_with(hub, lambda s: any(a["done"] for a in s["actions"]), 30, "a real sweep")
    assert not last["dry_run"] and not last["errors"]
    wait_for(lambda: not user_exists(hub, "py-001"), 10, "py-001 to be deleted")
    for name in ("carol", "boss"):
        model = hub.api("GET", f"/users/{name}").json()
        assert not any(s.get("ready") for s in model["servers"].values()), model
    log = hub.log_text()
    assert "Culling server carol/second (community, idle" in log
    assert "Deleting user py-001 (workshop-participant, ephemeral)" in log
    assert hub.admin_token not in log
    text = metrics(hub)
    assert 'hubtypes_culler_servers_culled_total{kind="community",reason="idle"} 3.0' in text
    deleted = 'hubtypes_culler_users_deleted_total{kind="workshop-participant",reason="ephemeral"}'
    assert f"{deleted} 1.0" in text
    assert "hubtypes_culler_sweep_duration_seconds_count" in text
    assert 'hubtypes_culler_hub_api_requests_total{method="DELETE"}' in text
    # the participant is gone, how many people used the hub is not
    status = requests.get(hub.url + "services/culler/api/status", timeout=10,
                          headers={"Authorization": f"token {hub.admin_token}"}).json()  # fmt: skip
    usage = {(u["hub_type"], u["workshop"]): u for u in status["usage"]}
    assert usage[("workshop", "py")]["active_users"] == 1
    assert usage[("community", "")]["active_users"] == 2  # carol and boss, once each
    assert usage[("community", "")]["server_seconds"] > 0  # sweeps a second apart here
    assert 'hubtypes_usage_active_users{hub_type="workshop",workshop="py"} 1.0' in text
    # the page for admins, and nobody else
    page = requests.get(hub.url + "services/culler/", timeout=10,
                        headers={"Authorization": f"token {hub.admin_token}"})  # fmt: skip
    assert page.status_code == 200 and "Culled in the last sweep" in page.text
    hub.api("POST", "/users/nobody")
    token = hub.api("POST", "/users/nobody/tokens", json={}).json()["token"]
    r = requests.get(hub.url + "services/culler/api/status", timeout=10,
                     headers={"Authorization": f"token {token}"})  # fmt: skip
    assert r.status_code == 403


def test_slow_stops_run_concurrently_and_binder_users_go_in_the_same_sweep(
    real_hub_factory, tmp_path
):
    """SlowStopSpawner (a test spawner) takes 3 s per stop; 7 of them in one sweep.

    The servers start under a long timeout; the hub then restarts (its servers keep running)
    with a short one, so the first sweep finds them all idle at once. The hub holds a stop
    request for up to its ``slow_stop_timeout`` (``BaseHandler.stop_single_user``), here
    1 s, then answers 202: the culler follows each stop until the server is gone, and
    deletes the binder users in the same sweep.
    """
    args = "--timeout=600 --cull-every=1 --CullerService.default_hub_type=binder"
    hub = make_hub(real_hub_factory, tmp_path, args + " --CullerService.proxy_url={hub_url}",
                   stop_delay=3)  # fmt: skip
    names = [f"b-{i}" for i in range(6)]
    for name in ["boss", *names]:
        start_server(hub, name)
    hub.config = hub.config.replace("--timeout=600", "--timeout=1")
    hub.config += '\nc.JupyterHub.tornado_settings = {"slow_stop_timeout": 1}\n'
    hub.restart()
    last = sweep_with(hub, lambda s: sum(a["done"] for a in s["actions"]) >= 7, 60,
                      "the sweep that culls them")  # fmt: skip
    stops = {a["user"] for a in last["actions"] if a["action"] == "stop" and a["done"]}
    deletes = {a["user"] for a in last["actions"] if a["action"] == "delete-user" and a["done"]}
    assert stops == {"boss", *names} and deletes == set(names)
    assert "boss" not in deletes  # an admin is never deleted
    # the stops ran side by side: the hub's log of the culler's stop requests (each ends at
    # its timestamp and took its duration) has one moment inside all seven
    spans = [(end - ms / 1000, end) for end, ms in stop_requests(hub.log_text())]
    assert len(spans) == 7 and max(s for s, _ in spans) < min(e for _, e in spans), spans
    log = hub.log_text()
    assert log.count("server is slow to stop") == 7  # each answered 202, then followed
    assert len(re.findall(r"\] 202 DELETE /hub/api/users/\S+/server \(culler@", log)) == 7
    assert not any(user_exists(hub, n) for n in names)
    assert user_exists(hub, "boss")


def stop_requests(log: str) -> list[tuple[float, float]]:
    """(end time, milliseconds) of the culler's requests that stopped a server, from the
    hub's request log ("[I 2026-12-02 03:00:24.607 JupyterHub log:192] 204 DELETE
    /hub/api/users/b-1/server (culler@127.0.0.1) 3012.20ms", one line)."""
    from datetime import datetime

    found = re.findall(r"^\[\w (\S+ \S+) [^\]]*\] 20[24] DELETE /hub/api/users/[^/ ]+/server "
                       r"\(culler@[^)]*\) ([\d.]+)ms", log, re.M)  # fmt: skip
    return [(datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f").timestamp(), float(ms))
            for t, ms in found]  # fmt: skip


async def _execute(url: str, token: str, code: str) -> None:
    """Send ``code`` to a kernel over its websocket (jupyter-server's JSON protocol)."""
    from tornado.httpclient import HTTPRequest
    from tornado.iostream import StreamClosedError
    from tornado.websocket import websocket_connect

    request = HTTPRequest(url, headers={"Authorization": f"token {token}"})
    for attempt in range(3):
        # a loaded CI machine once had the upgrade answered with something not HTTP
        # ("Malformed HTTP message ... Error parsing response start line"): ask again
        try:
            ws = await websocket_connect(request)
            break
        except StreamClosedError:
            if attempt == 2:
                raise
            await asyncio.sleep(1)
    session = uuid.uuid4().hex
    msg = {
        "header": {"msg_id": uuid.uuid4().hex, "username": "t", "session": session,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False},
    }  # fmt: skip
    await ws.write_message(json.dumps(msg))
    for _ in range(20):  # until the kernel says it is busy
        reply = json.loads(await asyncio.wait_for(ws.read_message(), 20))  # type: ignore[arg-type]
        if reply.get("content", {}).get("execution_state") == "busy":
            break
    ws.close()


def test_a_busy_kernel_is_spared_then_culled_once_idle(real_hub_factory, tmp_path):
    hub = make_hub(real_hub_factory, tmp_path,
                   "--timeout=4 --cull-every=1 --CullerService.proxy_url={hub_url}",
                   real_server=True)  # fmt: skip
    start_server(hub, "alice")
    token = hub.api("POST", "/users/alice/tokens", json={}).json()["token"]
    base = hub.url + "user/alice/api/kernels"
    kernel = requests.post(base, headers={"Authorization": f"token {token}"}, timeout=30).json()
    ws_url = base.replace("http://", "ws://") + f"/{kernel['id']}/channels"
    asyncio.run(_execute(ws_url, token, "import time; time.sleep(6)"))
    busy_since = time.monotonic()
    sweep_with(hub, lambda s: s["spared_busy"] >= 1, 15, "a sweep that spares alice")
    assert ready(hub, "alice")
    assert 'hubtypes_culler_servers_spared_busy_total{kind="community"}' in metrics(hub)
    # once the kernel is idle again (and 4 s have passed), the server goes
    wait_for(lambda: not ready(hub, "alice"), 30, "alice's server to be culled")
    assert time.monotonic() - busy_since >= 4
    assert "Culling server alice (community, idle" in hub.log_text()
