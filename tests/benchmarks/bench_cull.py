"""One sweep of hubtypes' culler side by side with jupyterhub-idle-culler 2.0 on the same hub.

Both run as external hub services with the same token and scopes, one after the other
(``--order``) against one hub, put back in the same state before each (the servers the
first culler stopped start again and idle; the active ones report activity again).
``--running`` servers run, ``--idle`` of them idle (the others report activity just before
the sweep; ``--idle 0`` is a no-op sweep).
Servers come from one of two test spawners:

- ``--spawner process`` (default): SimpleLocalProcessSpawner running a tiny HTTP process
  per server (``FAKE_SERVER``), whose ``stop`` first sleeps ``--stop-delay`` seconds;
- ``--spawner shared``: a test spawner whose servers are all one threaded HTTP process
  the benchmark starts (no process per server, so 2,500 servers fit in a shared
  machine's memory); ``stop`` sleeps ``--stop-delay`` and marks the server stopped.

Measured per culler, from the hub's own log (the hub logs every request at DEBUG, with the
token's owner), so the benchmark makes no hub request while a culler sweeps:

- ``wall_s``: from the culler's start (process start-up included) until every idle
  server's stop was answered (``--idle 0``: until its last request, then 2 s of quiet);
- ``sweep_s``: the same end, from the start of the culler's first hub request;
- ``hub_cpu_s``: the hub process's CPU seconds in ``wall_s``; ``hub_idle_cpu_per_s``:
  its CPU per second just before, with nobody sweeping (what to subtract);
- with ``--sweeps N``: all of the above over N sweeps ``--cull-every`` seconds apart
  (``--order hubtypes,idle-culler,hubtypes-always`` adds hubtypes with its skipped
  listings off, ``skip_quiet=false``);
- ``hub_requests``: the hub API requests the culler made; ``culler_cpu_s``: its own CPU;
- ``hub_threads_ran_s`` and ``hub_waited_for_cpu_s``: in ``wall_s``, how long the hub's
  threads ran and how long they were runnable but waiting for a core
  (``/proc/<pid>/task/*/schedstat``); the rest of ``wall_s`` the hub slept: waiting for
  its disk, or for work; ``window_epoch_s``: ``wall_s`` in clock time (to line up with a
  trace of the hub, e.g. ``strace -f -p <pid> -e trace=fdatasync -T -ttt``).

jupyterhub-idle-culler is run from a throwaway virtualenv (``--idle-culler-python``, made
with ``python -m venv /tmp/ic && /tmp/ic/bin/pip install jupyterhub-idle-culler==2.0.0``).

    python tests/benchmarks/bench_cull.py --running 20 --idle 20 --stop-delay 2
    python tests/benchmarks/bench_cull.py --users 1000 --running 500 --idle 250 \
        --stop-delay 0 --spawner shared
    python tests/benchmarks/bench_cull.py --users 1000 --running 500 --idle 0 \
        --stop-delay 0 --spawner shared --sweeps 6 --cull-every 10 --timeout 100 \
        --order hubtypes,idle-culler,hubtypes-always

prints one JSON line (``uptime``'s load averages included: the machine may be shared).
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
from concurrent.futures import ThreadPoolExecutor
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
from jupyterhub.spawner import SimpleLocalProcessSpawner, Spawner
from traitlets import Bool
class SlowStopSpawner(SimpleLocalProcessSpawner):
    async def stop(self, now=False):
        await asyncio.sleep({delay})
        await super().stop(now=now)
class SharedServerSpawner(Spawner):
    # every server is the benchmark's one HTTP process: nothing to start or kill
    started = Bool(False)
    async def start(self):
        self.started = True
        return ("127.0.0.1", {shared_port})
    async def poll(self):
        return None if self.started else 0
    async def stop(self, now=False):
        await asyncio.sleep({delay})
        self.started = False
    def get_state(self):
        return {{**super().get_state(), "started": self.started}}
    def load_state(self, state):
        super().load_state(state)
        self.started = bool(state.get("started"))
    def clear_state(self):
        super().clear_state()
        self.started = False
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = {spawner}
c.JupyterHub.cleanup_servers = False
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.last_activity_interval = 3600
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [sys.executable, "-c", {fake!r}]
c.JupyterHub.services.append({{"name": {name!r}, "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{"name": {name!r}, "scopes": {scopes!r},
                                "services": [{name!r}]}})
"""

# one threaded HTTP server answering every GET with [] (the shared spawner's servers)
SHARED_SERVER = FAKE_SERVER.replace("HTTPServer(", "ThreadingHTTPServer(").replace(
    "import BaseHTTPRequestHandler, HTTPServer",
    "import BaseHTTPRequestHandler, ThreadingHTTPServer",
)
# "[D 2026-12-02 03:00:22.273 JupyterHub log:192] 200 GET /hub/api/users?...
#  (bench-culler@127.0.0.1) 15.86ms" (one line)
REQUEST = re.compile(
    r"^\[\w (\S+ \S+) [^\]]*\] (\d{3}) (\w+) (\S+) \(" + CULLER + r"@[^)]*\) ([\d.]+)ms",
    re.M,
)
STOP_PATH = re.compile(r"^/hub/api/users/[^/]+/servers?(/|$)")


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hub_cpu(hub: RealHub) -> float:
    assert hub._process is not None
    return proc_cpu(hub._process.pid)


def sched(hub: RealHub) -> tuple[float, float]:
    """Seconds the hub's threads ran, and waited runnable for a core, from schedstat."""
    assert hub._process is not None
    run = wait = 0.0
    for task in Path(f"/proc/{hub._process.pid}/task").iterdir():
        try:
            ran, waited, _ = (task / "schedstat").read_text().split()
        except (FileNotFoundError, ValueError):
            continue  # a worker thread that just ended
        run, wait = run + int(ran) / 1e9, wait + int(waited) / 1e9
    return run, wait


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def paginate(hub: RealHub, params: dict) -> list[dict]:
    items: list[dict] = []
    while True:
        r = hub.api("GET", "/users", params={**params, "offset": len(items), "limit": 200},
                    headers={"Accept": "application/jupyterhub-pagination+json"})  # fmt: skip
        page = r.json()
        items += page["items"]
        if not page["_pagination"]["next"]:
            return items


def active(hub: RealHub) -> int:
    r = hub.api("GET", "/users", params={"state": "active", "limit": 1},
                headers={"Accept": "application/jupyterhub-pagination+json"})  # fmt: skip
    return int(r.json()["_pagination"]["total"])


def prepare(hub: RealHub, args: argparse.Namespace, *, first: bool) -> None:
    """Users and running servers; then the first ``idle`` idle, the other running ones
    active. After the first culler only the idle servers (which it stopped) start again."""
    names = [f"u-{i:05d}" for i in range(args.users)]
    if first:
        for i in range(0, args.users, 100):
            r = hub.api("POST", "/users", json={"usernames": names[i : i + 100]})
            r.raise_for_status()
    if first:
        to_start = names[: args.running]
    else:  # what the last culler stopped (the idle ones, or more if it culled more)
        up = {m["name"] for m in paginate(hub, {"state": "active"})}
        to_start = [n for n in names[: args.running] if n not in up]
    with ThreadPoolExecutor(8) as pool:  # the hub spawns concurrently; 8 keeps it busy
        for r in pool.map(lambda n: hub.api("POST", f"/users/{n}/server", timeout=120),
                          to_start):  # fmt: skip
            assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 1800
    while active(hub) < args.running:
        assert time.monotonic() < deadline, "servers did not start"
        time.sleep(0.5)
    started = time.monotonic()
    # every server idle once the last one started `timeout` ago (the hub only ever moves
    # last_activity forward); then the active ones report activity, `timeout` before
    # they would be idle: time enough for the quiet baseline and the culler's start-up
    time.sleep(max(0.0, args.timeout + 1 - (time.monotonic() - started)))
    t = time.monotonic()
    now = datetime.now(timezone.utc).isoformat()
    body = {"servers": {"": {"last_activity": now}}}
    with ThreadPoolExecutor(8) as pool:
        for r in pool.map(lambda n: hub.api("POST", f"/users/{n}/activity", json=body),
                          names[args.idle : args.running]):  # fmt: skip
            r.raise_for_status()
    # the hub takes its time over thousands of activity posts: the active servers must
    # still be active when the culler looks (raise --timeout if this fails)
    assert time.monotonic() - t < args.timeout / 2, "activity posts took too long"


def _ts(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def sweep(hub: RealHub, cmd: list[str], token: str, idle: int, name: str,
          window: float | None = None) -> dict:  # fmt: skip
    env = {**os.environ, "JUPYTERHUB_API_TOKEN": token,
           "JUPYTERHUB_API_URL": hub.url + "hub/api",
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{free_port()}"}  # fmt: skip
    cpu_a, t_a = hub_cpu(hub), time.monotonic()
    time.sleep(3.0)  # the hub's own background work (spawner polls), nobody sweeping
    idle_rate = (hub_cpu(hub) - cpu_a) / (time.monotonic() - t_a)
    log_file = hub.log_path.open("r", errors="replace")
    log_file.seek(0, os.SEEK_END)
    seen: list[re.Match[str]] = []
    cpu0, t0, sched0 = hub_cpu(hub), time.monotonic(), sched(hub)
    epoch0 = time.time() - t0  # the window in clock time too, to line up with traces
    log_path = hub.directory / f"{name}.log"  # the culler's own log
    out = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=hub.directory)
    end, sched_end = (t0, cpu0), sched0
    try:
        buffer = ""
        while True:
            now = time.monotonic()
            assert now - t0 < 900, "the sweep did not finish in 900 s"
            assert proc.poll() is None, log_path.read_text()[-3000:]
            buffer += log_file.read()
            lines, _, buffer = buffer.rpartition("\n")
            new = list(REQUEST.finditer(lines))
            if new:
                seen += new
                end, sched_end = (now, hub_cpu(hub)), sched(hub)
            stops = sum(1 for m in seen if m[3] == "DELETE" and STOP_PATH.match(m[4]))
            if window is not None:  # --sweeps: every request in a fixed time from the start
                if now - t0 >= window:
                    end, sched_end = (now, hub_cpu(hub)), sched(hub)
                    break
            elif idle and stops >= idle:
                break
            elif not idle and seen and now - end[0] > 2.0:  # a no-op sweep: quiet for 2 s
                break
            time.sleep(0.05)
        culler_cpu = proc_cpu(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
        out.close()
        log_file.close()
    wall, cpu = end[0] - t0, end[1] - cpu0
    first = seen[0]
    sweep_s = _ts(seen[-1][1]) - (_ts(first[1]) - float(first[5]) / 1000)
    return {"wall_s": round(wall, 2), "sweep_s": round(sweep_s, 2), "hub_cpu_s": round(cpu, 2),
            "hub_idle_cpu_per_s": round(idle_rate, 3), "hub_requests": len(seen),
            "culler_cpu_s": round(culler_cpu, 2), "load": load(),
            # where the hub's wall time went: on a core, runnable waiting for one
            # (the culler, the proxy, the benchmark compete), or asleep (its own SQLite
            # commits waiting for the disk, or nothing to do)
            "hub_waited_for_cpu_s": round(sched_end[1] - sched0[1], 2),
            "hub_threads_ran_s": round(sched_end[0] - sched0[0], 2),
            "window_epoch_s": [round(epoch0 + t0, 3), round(epoch0 + end[0], 3)]}  # fmt: skip


def stop_all(hub: RealHub) -> None:
    """cleanup_servers is off (as on TLJH): stop what still runs before the hub goes."""
    while True:
        r = hub.api("GET", "/users", params={"state": "active", "limit": 200}, timeout=60)
        names = [m["name"] for m in r.json()]
        if not names:
            return
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: hub.api("DELETE", f"/users/{n}/server", timeout=60), names))


def run(cullers: list[str], args: argparse.Namespace, chp: str) -> dict[str, dict]:
    """Each culler in turn against one hub, put back in the same state before each."""
    tmp = Path(tempfile.mkdtemp(prefix="hubtypes-bench-cull-"))
    (tmp / "homes").mkdir()
    token = secrets.token_hex(32)
    shared_port = free_port()
    spawner = "SharedServerSpawner" if args.spawner == "shared" else "SlowStopSpawner"
    config = CONFIG.format(delay=args.stop_delay, homes=str(tmp / "homes"), fake=FAKE_SERVER,
                           name=CULLER, token=token, scopes=SCOPES, spawner=spawner,
                           shared_port=shared_port)  # fmt: skip
    shared = None
    if args.spawner == "shared":
        env = {**os.environ, "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{shared_port}"}
        shared = subprocess.Popen([sys.executable, "-c", SHARED_SERVER], env=env)
    hub = RealHub(tmp / "hub", config, chp=chp, debug=True)  # DEBUG: every request is logged
    hub.start(timeout=120)
    results = {}
    # --sweeps N: N sweeps --cull-every apart, all measured (the last one ends half an
    # interval after it starts)
    window = None if args.sweeps == 1 else (args.sweeps - 0.5) * args.cull_every
    try:
        for i, culler in enumerate(cullers):
            t = time.monotonic()
            prepare(hub, args, first=i == 0)
            setup_s = time.monotonic() - t
            every = 3600 if args.sweeps == 1 else args.cull_every
            common = [f"--timeout={args.timeout}", f"--cull-every={every}",
                      f"--concurrency={args.concurrency}"]  # fmt: skip
            if culler.startswith("hubtypes"):
                db = f"--HubTypesDatabase.url=sqlite:///{tmp}/ht-{i}.sqlite"
                cmd = [sys.executable, "-m", "hubtypes.services.culler", *common,
                       "--check-busy=false", db]  # fmt: skip
                if culler == "hubtypes-always":  # lists every sweep, as idle-culler does
                    cmd.append("--CullerService.skip_quiet=false")
            else:
                cmd = [args.idle_culler_python, "-m", "jupyterhub_idle_culler", *common]
            results[culler] = {
                **sweep(hub, cmd, token, args.idle, culler, window),
                "setup_s": round(setup_s),
            }
        return results
    finally:
        if args.spawner == "process":
            stop_all(hub)
        hub.stop()
        if shared is not None:
            shared.terminate()
            shared.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--running", type=int, default=20)
    p.add_argument("--idle", type=int, default=20)
    p.add_argument("--stop-delay", type=float, default=2.0)
    p.add_argument("--timeout", type=int, help="idle timeout, s (default 20 + running / 10)")
    p.add_argument("--concurrency", type=int, default=10, help="both cullers' --concurrency")
    p.add_argument(
        "--sweeps",
        type=int,
        default=1,
        help="measure this many sweeps, --cull-every apart (default: one sweep)",
    )
    p.add_argument("--cull-every", type=int, default=10, help="with --sweeps: seconds apart")
    p.add_argument("--spawner", choices=["process", "shared"], default="process")
    p.add_argument("--only", choices=["hubtypes", "idle-culler"], help="run one culler")
    p.add_argument(
        "--order",
        default="hubtypes,idle-culler",
        help="which culler goes first; hubtypes-always: hubtypes listing every sweep",
    )
    p.add_argument("--idle-culler-python", default="/tmp/ic/bin/python")
    args = p.parse_args()
    if args.timeout is None:  # time for the activity posts (the hub does ~20-50 a second)
        args.timeout = 20 + args.running // 10
    chp = find_configurable_http_proxy()
    assert chp, "configurable-http-proxy is missing"
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    result = {
        "benchmark": "cull",
        "users": args.users,
        "running": args.running,
        "idle": args.idle,
        "stop_delay_s": args.stop_delay,
        "timeout_s": args.timeout,
        "concurrency": args.concurrency,
        "spawner": args.spawner,
        "load_before": load(),
        "order": args.order,
        "sweeps": args.sweeps,
        "cull_every_s": args.cull_every if args.sweeps > 1 else None,
    }
    if args.sweeps > 1:  # the active servers must stay active all the window
        assert (args.sweeps - 0.5) * args.cull_every < args.timeout - 5, "raise --timeout"
    cullers = [c for c in args.order.split(",") if not args.only or c == args.only]
    results = run(cullers, args, chp)
    if "hubtypes" in results:
        result["hubtypes"] = results["hubtypes"]
    if "hubtypes-always" in results:
        result["hubtypes_listing_every_sweep"] = results["hubtypes-always"]
    if "idle-culler" in results:
        result["jupyterhub_idle_culler_2_0"] = results["idle-culler"]
    if not args.only:
        h, ic = result["hubtypes"], result["jupyterhub_idle_culler_2_0"]
        result["speedup"] = round(ic["wall_s"] / h["wall_s"], 1) if h["wall_s"] else None
        result["hub_cpu_ratio"] = (
            round(h["hub_cpu_s"] / ic["hub_cpu_s"], 2) if ic["hub_cpu_s"] else None
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
