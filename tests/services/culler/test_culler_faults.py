"""Faults during a sweep, against a real hub: the hub restarting in the middle of one, a
user deleted by someone else while the culler handles them.

The hub restarting: the culler logs it, counts it, and the next sweep converges.

The culler runs here as an *external* service (its own process, the hub's API URL and a
token the hub config registers, the role from :mod:`hubtypes.services.culler.hub_config`),
so it outlives the hub's restart, as it does when the hub pod restarts beside it or the
hub is restarted by hand. (A managed service is stopped and started with the hub and
never sees a restart mid-sweep.)

Servers are tiny HTTP processes (``FAKE_SERVER``) started by a test spawner,
``SlowStopSpawner``, whose ``stop`` first sleeps (60 s before the restart, 1 s after): the
hub holds each stop request until the spawner is done (up to its ``slow_stop_timeout``, 10
s: ``stop_single_user`` in ``jupyterhub/handlers/base.py``), so the culler is waiting on
three stop requests when the hub goes. ``cleanup_servers`` is off, so the hub leaves the
servers running when it stops (``init_spawners`` polls them at start) -- except a server
whose spawner's ``stop`` had begun: JupyterHub's ``User.stop`` forgets the server in its
``finally`` clause even when the hub's shutdown cancels it (``jupyterhub/user.py``), so
the hub counts it stopped; which of the three had begun depends on timing, and the test
asserts what holds either way.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from realhub import FAKE_SERVER, free_port
from test_culler_hub import cli, make_hub, ready, start_server, status, user_exists, wait_for

from hubtypes.services.culler.hub_config import scopes

pytestmark = pytest.mark.hub

CONFIG = """
import asyncio, sys
from jupyterhub.spawner import SimpleLocalProcessSpawner

class SlowStopSpawner(SimpleLocalProcessSpawner):
    async def stop(self, now=False):
        # as long as the test says: long before the restart (the hub goes away while the
        # culler waits, however slow the machine), short after it
        with open({delay_file!r}) as f:
            await asyncio.sleep(float(f.read()))
        await super().stop(now=now)

c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = SlowStopSpawner
c.JupyterHub.cleanup_servers = False
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [sys.executable, "-c", {fake!r}]
culler = {{"name": "culler", "url": {url!r}, "api_token": {token!r}}}
# the culler starts after the hub (below), so the hub need not wait for it: since 6.0 it
# waits a service's `timeout` (30 s) at start (jupyterhub/app.py, start_service), 5.5 one
from jupyterhub.services.service import Service
if "timeout" in Service.class_trait_names():
    culler["timeout"] = 1
c.JupyterHub.services.append(culler)
c.JupyterHub.load_roles.append({{"name": "culler", "scopes": {scopes!r},
                                "services": ["culler"]}})
"""


def test_hub_restart_mid_sweep_is_counted_and_the_next_sweep_converges(
    real_hub_factory, tmp_path: Path
):
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    cli(db_url, "db", "upgrade")
    cli(db_url, "workshop", "create", "py", "--title", "Py", "--starts", "+0s", "--ends", "+2d",
        "--delete-after", "+9d")  # fmt: skip
    # no hub yet (it starts below), so there is no hub to ask which names it has
    cli(db_url, "accounts", "create", "--workshop", "py", "--usernames", "py-001,py-002",
        "--skip-hub-check")  # fmt: skip
    (tmp_path / "homes").mkdir()
    token = secrets.token_hex(32)
    url = f"http://127.0.0.1:{free_port()}"
    delay_file = tmp_path / "stop-delay"
    delay_file.write_text("60")
    hub = real_hub_factory(CONFIG.format(
        homes=str(tmp_path / "homes"), fake=FAKE_SERVER, url=url, token=token,
        delay_file=str(delay_file),
        scopes=scopes(delete_users=True, check_busy=False),
    ))  # fmt: skip
    for name in ("carol", "py-001", "py-002"):  # a community member, two participants
        hub.api("POST", "/users", json={"usernames": [name]})
        assert hub.api("POST", f"/users/{name}/server").status_code in (201, 202)
        hub.wait_ready(name)

    def all_idle() -> bool:
        # one sweep must see all three idle: sweeps never overlap, and a second one would
        # wait for the first one's (60 s) stops
        now = datetime.now(timezone.utc)
        for name in ("carol", "py-001", "py-002"):
            server = hub.api("GET", f"/users/{name}").json()["servers"][""]
            seen = datetime.fromisoformat(server["last_activity"].replace("Z", "+00:00"))
            if (now - seen).total_seconds() < 3:
                return False
        return True

    wait_for(all_idle, 60, "the three servers to be idle")
    env = {**os.environ, "JUPYTERHUB_API_TOKEN": token,
           "JUPYTERHUB_API_URL": f"http://127.0.0.1:{hub.hub_port}/hub/api",
           "JUPYTERHUB_SERVICE_URL": url, "JUPYTERHUB_SERVICE_PREFIX": "/services/culler/",
           "JUPYTERHUB_CLIENT_ID": "service-culler"}  # fmt: skip
    log_path = tmp_path / "culler.log"
    cmd = [sys.executable, "-m", "hubtypes.services.culler", "--timeout=1", "--cull-every=2",
           "--cull-users", "--check-busy=false", "--db-url", db_url]  # fmt: skip
    with log_path.open("wb") as log:
        culler = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=tmp_path)  # fmt: skip

    def culler_log() -> str:
        return log_path.read_text(errors="replace")

    try:
        # the first sweeps ask for the three stops; the hub holds them (60 s each)...
        wait_for(lambda: culler_log().count("Culling server ") == 3, 60, "the stops to be asked")
        # (a stop first removes the route, then the spawner sleeps)
        wait_for(lambda: hub.log_text().count(" from proxy (") >= 3, 30, "the stops to begin")
        assert "seconds to stop" not in hub.log_text()
        # ...and goes away while the culler waits for them
        hub.stop()
        delay_file.write_text("1")
        wait_for(lambda: culler_log().count("Could not cull ") == 3, 60,
                 "the culler to give up on the three stops")  # fmt: skip
        text = culler_log()
        assert "the next sweep tries again" in text
        assert "Sweep: 3 users, culled 0 servers and 0 users, 0 spared as busy, 3 errors" in text
        assert culler.poll() is None  # the culler goes on
        # the next sweep finds no hub at all: it fails, is counted, and is tried again
        wait_for(lambda: "Sweep failed, trying again" in culler_log(), 30,
                 "a sweep to fail while the hub is down")  # fmt: skip
        hub.start()
        # the servers survived (cleanup_servers is off), still idle: the next sweeps stop
        # them and delete the participants, and keep carol
        wait_for(lambda: not user_exists(hub, "py-001") and not user_exists(hub, "py-002"),
                 90, "the participants to be deleted after the restart")  # fmt: skip
        wait_for(lambda: not ready(hub, "carol"), 30, "carol's server to be stopped")
        assert user_exists(hub, "carol")
        model = hub.api("GET", "/users/carol").json()
        assert not any(s.get("ready") or s.get("pending") for s in model["servers"].values())
        admin = {"Authorization": f"token {hub.admin_token}"}

        def converged() -> dict | None:
            r = requests.get(f"{url}/services/culler/api/status", headers=admin, timeout=10)
            last = r.json()["last_sweep"]
            return last if last and last["users_seen"] == 1 and not last["errors"] else None

        # a sweep with nothing left to do: carol, her server stopped, kept
        last = wait_for(converged, 30, "a sweep with only carol left")
        assert last["actions"] == [] and last["running"] == {"community": 0}
        text = requests.get(f"{url}/services/culler/metrics", headers=admin, timeout=10).text
        errors = [metric(text, f'hubtypes_culler_errors_total{{kind="{k}"}}')
                  for k in ("community", "workshop-participant")]  # fmt: skip
        assert errors == [1, 2]  # one per user the interrupted sweep could not cull
        assert metric(text, 'hubtypes_culler_sweeps_total{outcome="errors"}') >= 1
        assert metric(text, 'hubtypes_culler_sweeps_total{outcome="failed"}') >= 1  # hub down
        assert (
            metric(
                text,
                'hubtypes_culler_users_deleted_total{kind="workshop-participant",reason="ephemeral"}',
            )
            == 2
        )
        # the three stops the hub dropped (500 or 599) and at least one listing while down
        assert metric(text, 'hubtypes_culler_hub_api_errors_total{status="599"}') >= 1
        assert metric(text, "hubtypes_culler_hub_api_errors_total") >= 4
        assert token not in culler_log()
    finally:
        culler.terminate()
        culler.wait(15)


def test_a_user_deleted_by_someone_else_during_the_sweep(real_hub_factory, tmp_path: Path):
    """Two idle binder users; with ``--stop-concurrency=1`` the culler stops one server at a
    time, and b-0's stop is slow (``SlowStopSpawner``, a test spawner: 12 s for b-0, none for
    b-1). While b-1 waits for its turn, an admin deletes b-1. Then the culler deletes b-0,
    finds b-1 already gone (a 404 to its stop and to its deletion) and counts no error."""
    args = ("--timeout=600 --cull-every=1 --stop-concurrency=1 --check-busy=false "
            "--CullerService.default_hub_type=binder")  # fmt: skip
    hub = make_hub(real_hub_factory, tmp_path, args,
                   stop_delay="12 if self.user.name == 'b-0' else 0")  # fmt: skip
    for name in ("b-0", "b-1"):  # b-0 first: the hub lists users by id
        start_server(hub, name)
    hub.config = hub.config.replace("--timeout=600", "--timeout=1")
    hub.restart()  # cleanup_servers is off: both keep running, and both are idle now
    wait_for(lambda: "Removing user b-0 from proxy" in hub.log_text(), 60, "b-0's stop")
    assert "Removing user b-1 from proxy" not in hub.log_text()  # b-1 waits for its turn
    assert hub.api("DELETE", "/users/b-1").status_code == 204  # someone else was faster
    last = wait_for(lambda: (s := status(hub).get("last_sweep")) and len(s["actions"]) == 4
                    and s, 60, "the sweep to end")  # fmt: skip
    assert last["errors"] == []
    outcome = {(a["user"], a["action"]): (a["done"], a["note"]) for a in last["actions"]}
    assert outcome == {
        ("b-0", "stop"): (True, ""),
        ("b-0", "delete-user"): (True, ""),
        ("b-1", "stop"): (False, "already gone"),
        ("b-1", "delete-user"): (False, "already gone"),
    }
    assert not user_exists(hub, "b-0") and not user_exists(hub, "b-1")
    log = hub.log_text()
    assert "Server b-1 was already gone" in log and "User b-1 was already gone" in log


def metric(text: str, name: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    total = 0.0  # a name without labels: the sum over all its labels
    for line in text.splitlines():
        if line.startswith(name + " ") or ("{" not in name and line.startswith(name + "{")):
            total += float(line.split()[-1])
    return total
