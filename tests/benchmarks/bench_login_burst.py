"""A workshop-start login burst against a real hub: hubtypes vs the authenticators a
workshop would otherwise use, in one run.

200 logins at concurrency 20, no spawns (the hub sends users to /hub/home).
Prints one JSON line: logins/s, p50/p95 latency of the login POST, and the hub
process's CPU seconds during the burst, for each authenticator.

    python tests/benchmarks/bench_login_burst.py [--logins 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realhub import RealHub  # noqa: E402

from hubtypes.cli.chp import find_configurable_http_proxy  # noqa: E402
from hubtypes.db.database import Database  # noqa: E402
from hubtypes.db.models import Role  # noqa: E402
from hubtypes.db.queries.accounts import create_accounts
from hubtypes.db.queries.workshops import create_workshop
from hubtypes.inputs import WorkshopInput

COMMON = 'c.JupyterHub.default_url = "/hub/home"\n'
SHARED_PASSWORD = "workshop-password-2026"


def hub_cpu_seconds(hub: RealHub) -> float:
    pid = int((hub.directory / "jupyterhub.pid").read_text())
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    import os

    return ticks / os.sysconf("SC_CLK_TCK")


def one_login(url: str, username: str, password: str) -> float:
    with requests.Session() as s:
        page = s.get(url + "hub/login", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        start = time.perf_counter()
        r = s.post(
            url + "hub/login",
            data={"username": username, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        elapsed = time.perf_counter() - start
    if r.status_code != 302 or not r.headers["Location"].endswith("/hub/home"):
        raise RuntimeError(f"login of {username} failed: {r.status_code}")
    return elapsed


def burst(hub: RealHub, creds: list[tuple[str, str]], concurrency: int) -> dict:
    for name, password in creds[:5]:  # warm up (templates, db connections)
        one_login(hub.url, name, password)
    cpu0, t0 = hub_cpu_seconds(hub), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(lambda c: one_login(hub.url, *c), creds))
    wall = time.perf_counter() - t0
    cpu = hub_cpu_seconds(hub) - cpu0
    q = statistics.quantiles(latencies, n=20)
    return {
        "logins_per_s": round(len(creds) / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(q[18] * 1000),
        "hub_cpu_s": round(cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate the hubs this often; report medians"
    )
    parser.add_argument("--only", help="comma-separated subset of the authenticators")
    parser.add_argument("--workshop-config", default="", help="extra config (experiments)")
    args = parser.parse_args()
    chp = find_configurable_http_proxy()
    assert chp, "configurable-http-proxy is needed"
    n = args.logins
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db_url = f"sqlite:///{root / 'hubtypes.sqlite'}"
        now = datetime.now(timezone.utc)
        with Database(db_url).session() as session:
            dates = (now - timedelta(hours=1), now + timedelta(days=1), now + timedelta(days=2))
            create_workshop(session, WorkshopInput("bench", "bench", *dates), created_by="bench",
                            now=now)  # fmt: skip
            creds = create_accounts(
                session, usernames=[f"p{i:04d}" for i in range(n + 5)], workshop="bench",
                role=Role.participant, expires_at=None, created_by="bench", now=now,
            )  # fmt: skip
        configs = {
            # throttling (defaults: 5 per name, 50 per address) and expiry are on
            "hubtypes-workshop": (
                f'c.JupyterHub.authenticator_class = "workshop"\n'
                f"c.HubTypesDatabase.url = {db_url!r}\n{args.workshop_config}\n",
                [(c.username, c.code) for c in creds],
            ),
            # the same without group membership: isolates what the hub's own group
            # write at a first login (sync_groups, one more commit) costs
            "hubtypes-workshop-no-groups": (
                f'c.JupyterHub.authenticator_class = "workshop"\n'
                f"c.HubTypesDatabase.url = {db_url!r}\n"
                "c.WorkshopAuthenticator.manage_groups = False\n",
                [(c.username, c.code) for c in creds],
            ),
            "dummy": (
                'c.JupyterHub.authenticator_class = "dummy"\nc.Authenticator.allow_all = True\n',
                [(f"p{i:04d}", "x") for i in range(n + 5)],
            ),
            "shared-password": (
                'c.JupyterHub.authenticator_class = "shared-password"\n'
                f"c.SharedPasswordAuthenticator.user_password = {SHARED_PASSWORD!r}\n"
                "c.Authenticator.allow_all = True\n",
                [(f"p{i:04d}", SHARED_PASSWORD) for i in range(n + 5)],
            ),
        }
        only = args.only.split(",") if args.only else list(configs)
        rounds: dict[str, list[dict]] = {name: [] for name in only}
        # alternate the hubs, each round on fresh hub databases (every login a
        # first login, as at a workshop's start), and report each one's median round
        for r in range(args.rounds):
            for name in only:
                config, users = configs[name]
                hub = RealHub(root / f"{name}-{r}", COMMON + config, chp=chp, debug=False)
                hub.start()
                try:
                    rounds[name].append(burst(hub, users, args.concurrency))
                finally:
                    hub.stop()
        results = {
            name: {key: statistics.median(x[key] for x in runs) for key in runs[0]}
            for name, runs in rounds.items()
        }
    ratio = None
    if {"hubtypes-workshop", "dummy"} <= set(results):
        ratio = round(
            results["hubtypes-workshop"]["logins_per_s"] / results["dummy"]["logins_per_s"], 2
        )
    print(
        json.dumps(
            {
                "benchmark": "login_burst",
                "logins": n,
                "concurrency": args.concurrency,
                "rounds": args.rounds,
                "results": results,
                "workshop_vs_dummy": ratio,
            }
        )
    )


if __name__ == "__main__":
    main()
