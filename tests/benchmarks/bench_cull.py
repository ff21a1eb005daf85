"""One sweep of hubtypes' culler side by side with jupyterhub-idle-culler 2.0 on the same hub.

Both run as external hub services with the same token and scopes, one at a time, against a
real hub whose servers are tiny HTTP processes started by a test spawner whose ``stop``
sleeps ``--stop-delay`` seconds first. ``--running`` servers run, ``--idle`` of them idle
(the others report activity just before the sweep). Measured per culler: wall time from its
start until every idle server is gone, the hub's CPU seconds in that time, and the hub API
requests the culler made (counted in the hub's own request log).

jupyterhub-idle-culler is run from a throwaway virtualenv (``--idle-culler-python``, e.g.
made with ``python -m venv /tmp/ic && /tmp/ic/bin/pip install jupyterhub-idle-culler==2.0.0``).

    python tests/benchmarks/bench_cull.py --running 20 --idle 20 --stop-delay 2

prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
sys.path[:0] = [str(TESTS)]

from realhub import FAKE_SERVER, RealHub, free_port  # noqa: E402

from hubtypes.cli.chp import find_configurable_http_proxy  # noqa: E402

CULLER = "bench-culler"
SCOPES = ["list:users", "read:users:activity", "read:users:groups", "read:servers",
          "delete:servers", "admin:users", "read:users"]  # fmt: skip

CONFIG = """
import asyncio, sys
from jupyterhub.spawner import SimpleLocalProcessSpawner
class SlowStopSpawner(SimpleLocalProcessSpawner):
    async def stop(self, now=False):
        await asyncio.sleep({delay})
        await super().stop(now=now)
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = SlowStopSpawner
c.JupyterHub.cleanup_servers = False
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.last_activity_interval = 3600
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [sys.executable, "-c", {fake!r}]
c.JupyterHub.services.append({{"name": {name!r}, "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{"name": {name!r}, "scopes": {scopes!r},
                                "services": [{name!r}]}})
"""


def hub_cpu(hub: RealHub) -> float:
    assert hub._process is not None
    fields = Path(f"/proc/{hub._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def running(hub: RealHub) -> int:
    r = hub.api("GET", "/users", params={"state": "active", "limit": 200},
                headers={"Accept": "application/jupyterhub-pagination+json"})  # fmt: skip
    return int(r.json()["_pagination"]["total"])


def prepare(hub: RealHub, users: int, n_running: int, idle: int, timeout: int) -> None:
    names = [f"u-{i:05d}" for i in range(users)]
    for i in range(0, users, 100):
        hub.api("POST", "/users", json={"usernames": names[i : i + 100]}).raise_for_status()
    for name in names[:n_running]:
        hub.api("POST", f"/users/{name}/server").raise_for_status()
    deadline = time.monotonic() + 300
    while running(hub) < n_running:
        assert time.monotonic() < deadline, "servers did not start"
        time.sleep(0.5)
    time.sleep(timeout + 1)  # all idle now; the active ones report activity
    now = datetime.now(timezone.utc).isoformat()
    for name in names[idle:n_running]:
        hub.api("POST", f"/users/{name}/activity",
                json={"servers": {"": {"last_activity": now}}}).raise_for_status()  # fmt: skip


def sweep(hub: RealHub, cmd: list[str], token: str, expect_running: int) -> dict:
    env = {**os.environ, "JUPYTERHUB_API_TOKEN": token,
           "JUPYTERHUB_API_URL": hub.url + "hub/api",
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{free_port()}"}  # fmt: skip
    mark = len(hub.log_text())
    cpu0, t0 = hub_cpu(hub), time.monotonic()
    log = open(hub.directory / f"culler-{len(cmd)}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=hub.directory)
    try:
        while running(hub) > expect_running:
            if time.monotonic() - t0 > 600:
                raise AssertionError("the sweep did not finish in 600 s")
            time.sleep(0.1)
        wall, cpu = time.monotonic() - t0, hub_cpu(hub) - cpu0
        time.sleep(1.0)  # let a last request (a user deletion) land
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
    requests_made = len(re.findall(rf"\({CULLER}@", hub.log_text()[mark:]))
    return {"wall_s": round(wall, 2), "hub_cpu_s": round(cpu, 2), "hub_requests": requests_made}


def run(culler: str, args: argparse.Namespace, chp: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hubtypes-bench-cull-{culler}-"))
    (tmp / "homes").mkdir()
    token = secrets.token_hex(32)
    config = CONFIG.format(delay=args.stop_delay, homes=str(tmp / "homes"), fake=FAKE_SERVER,
                           name=CULLER, token=token, scopes=SCOPES)  # fmt: skip
    hub = RealHub(tmp / "hub", config, chp=chp, debug=True)  # DEBUG: every request is logged
    hub.start()
    try:
        prepare(hub, args.users, args.running, args.idle, args.timeout)
        common = [f"--timeout={args.timeout}", "--cull-every=3600",
                  f"--concurrency={args.concurrency}"]  # fmt: skip
        if culler == "hubtypes":
            db = f"--HubTypesDatabase.url=sqlite:///{tmp}/ht.sqlite"
            cmd = [sys.executable, "-m", "hubtypes.services.culler", *common,
                   "--check-busy=false", db]  # fmt: skip
        else:
            cmd = [args.idle_culler_python, "-m", "jupyterhub_idle_culler", *common]
        return sweep(hub, cmd, token, args.running - args.idle)
    finally:
        # cleanup_servers is off (as on TLJH): stop what still runs before the hub goes
        r = hub.api("GET", "/users", params={"state": "active", "limit": 200}, timeout=60)
        for model in r.json():
            hub.api("DELETE", f"/users/{model['name']}/server", timeout=60)
        hub.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--running", type=int, default=20)
    p.add_argument("--idle", type=int, default=20)
    p.add_argument("--stop-delay", type=float, default=2.0)
    p.add_argument("--timeout", type=int, default=5, help="idle timeout, seconds")
    p.add_argument("--concurrency", type=int, default=10, help="both cullers' --concurrency")
    p.add_argument("--idle-culler-python", default="/tmp/ic/bin/python")
    args = p.parse_args()
    chp = find_configurable_http_proxy()
    assert chp, "configurable-http-proxy is missing"
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    result = {
        "benchmark": "cull",
        "users": args.users,
        "running": args.running,
        "idle": args.idle,
        "stop_delay_s": args.stop_delay,
        "concurrency": args.concurrency,
        "hubtypes": run("hubtypes", args, chp),
        "jupyterhub_idle_culler_2_0": run("idle-culler", args, chp),
    }
    h, ic = result["hubtypes"], result["jupyterhub_idle_culler_2_0"]
    result["speedup"] = round(ic["wall_s"] / h["wall_s"], 1) if h["wall_s"] else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
