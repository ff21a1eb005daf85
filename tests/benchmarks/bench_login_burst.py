"""A workshop-start login burst against a real hub: hubtypes vs the authenticators a
workshop would otherwise use (DummyAuthenticator, SharedPasswordAuthenticator), in one run.

Each round starts every hub afresh (every login a first login, as at a workshop's start)
and runs, one after another on that hub: each first-login burst of ``--bursts`` (logins at
a concurrency; default 200 at 20, then 1,000 at 50), then ``--returning`` returning logins
of users the hub has (new sessions, at the first burst's concurrency). No spawns (the hub
sends users to /hub/home). hubtypes runs as a workshop hub does: WorkshopAuthenticator with
its throttling and expiry checks on, and the workshop service adding participants to their
workshop's group in bulk (its CPU on the hub counts in the hub's CPU).

Prints one JSON line: per authenticator and phase, logins/s, p50/p95 latency of the login
POST, the hub's CPU seconds, "Event loop was unresponsive" warnings in the hub's log; for
hubtypes, how long after each burst the workshop group had everyone; and hubtypes' ratios to
Dummy with the goals (logins/s >= 1.0x, p95 <= 1.1x). Medians over ``--rounds``.

    python tests/benchmarks/bench_login_burst.py [--bursts 200:20,1000:50] [--returning 200]
        [--rounds 3] [--only hubtypes-workshop,dummy]

``--only dummy,dummy-grouped`` adds a diagnostic: Dummy with every user made at the hub's
start in one hub group, as hubtypes' participants are in their workshop's group (its
first-login phases are then not first logins; compare the returning phase).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import delete, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realhub import RealHub, free_port  # noqa: E402

from hubtypes._data import config_d_dir  # noqa: E402
from hubtypes.cli.chp import find_configurable_http_proxy  # noqa: E402
from hubtypes.db.database import Database  # noqa: E402
from hubtypes.db.models import Account, Role, ThrottleEntry  # noqa: E402
from hubtypes.db.queries.accounts import create_accounts  # noqa: E402
from hubtypes.db.queries.workshops import create_workshop  # noqa: E402
from hubtypes.inputs import WorkshopInput  # noqa: E402

COMMON = 'c.JupyterHub.default_url = "/hub/home"\n'
SHARED_PASSWORD = "workshop-password-2026"
UNRESPONSIVE = "Event loop was unresponsive"
# hubtypes as a workshop hub runs it: the login drop-in, and the workshop service
WORKSHOP = """
import os
os.environ["HUBTYPES_WORKSHOP_SERVICE_URL"] = "http://127.0.0.1:{port}"
os.environ["HUBTYPES_DB_URL"] = {db_url!r}
c.HubTypesDatabase.url = {db_url!r}
load_subconfig({login!r})
load_subconfig({service!r})
c.JupyterHub.services[-1]["command"] += ["--WorkshopService.log_level=WARN"]
{extra}
"""


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
        where = r.headers.get("Location", "")
        raise RuntimeError(f"login of {username} failed: {r.status_code} {where} {r.text[:300]}")
    return elapsed


def burst(hub: RealHub, creds: list[tuple[str, str]], concurrency: int) -> dict:
    log_start = len(hub.log_text())
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
        "unresponsive_warnings": hub.log_text()[log_start:].count(UNRESPONSIVE),
    }


def group_lag(hub: RealHub, group: str, names: list[str], timeout: float = 120) -> float | None:
    """Seconds until ``group`` has all of ``names`` (None: not within ``timeout``)."""
    t0 = time.perf_counter()
    wanted = set(names)
    while time.perf_counter() - t0 < timeout:
        r = hub.api("GET", f"/groups/{group}")
        if r.status_code == 200 and wanted <= set(r.json()["users"]):
            return round(time.perf_counter() - t0, 2)
        time.sleep(0.1)
    return None


def wait_service(hub: RealHub, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = requests.get(hub.url + "services/workshop/api/workshops", timeout=5,
                             headers={"Authorization": f"token {hub.admin_token}"})  # fmt: skip
            if r.status_code in (200, 403):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("the workshop service did not answer")


def run_hub(name: str, hub: RealHub, users: list[tuple[str, str]], args: argparse.Namespace,
            bursts: list[tuple[int, int]]) -> dict:  # fmt: skip
    """Warm-up, each first-login burst, then returning logins, on one fresh hub."""
    out: dict = {}
    for cred in users[:5]:  # warm up (templates, database connections)
        one_login(hub.url, *cred)
    at = 5
    for n, concurrency in bursts:
        group = users[at : at + n]
        at += n
        result = burst(hub, group, concurrency)
        if name == "hubtypes-workshop":
            result["group_complete_after_s"] = group_lag(
                hub, "workshop-bench", [u for u, _ in group]
            )
        out[f"first_{n}_c{concurrency}"] = result
    if args.returning:
        out[f"returning_{args.returning}_c{bursts[0][1]}"] = burst(
            hub, users[5 : 5 + args.returning], bursts[0][1]
        )
    return out


def ratios(results: dict) -> dict:
    ours, dummy = results.get("hubtypes-workshop"), results.get("dummy")
    if not ours or not dummy:
        return {}
    out = {}
    for phase, mine in ours.items():
        ref = dummy[phase]
        out[phase] = {
            "logins_per_s_vs_dummy": round(mine["logins_per_s"] / ref["logins_per_s"], 2),
            "p95_vs_dummy": round(mine["p95_ms"] / ref["p95_ms"], 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bursts", default="200:20,1000:50", help="first-login bursts, "
                        "LOGINS:CONCURRENCY, comma-separated, run in this order")  # fmt: skip
    parser.add_argument("--returning", type=int, default=200, help="returning logins after "
                        "the bursts (0: none)")  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate the hubs this often; report medians"
    )
    parser.add_argument("--only", help="comma-separated subset of the authenticators")
    parser.add_argument("--workshop-config", default="", help="extra config (experiments)")
    parser.add_argument("--keep", help="a directory for the hubs (their logs), kept afterwards")
    args = parser.parse_args()
    bursts = [tuple(int(x) for x in b.split(":")) for b in args.bursts.split(",")]
    chp = find_configurable_http_proxy()
    assert chp, "configurable-http-proxy is needed"
    total = sum(n for n, _ in bursts) + 5
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{root / 'hubtypes.sqlite'}"
        now = datetime.now(timezone.utc)
        db = Database(db_url)
        with db.session() as session:
            dates = (now - timedelta(hours=1), now + timedelta(days=1), now + timedelta(days=2))
            create_workshop(session, WorkshopInput("bench", "bench", *dates), created_by="bench",
                            now=now)  # fmt: skip
            creds = create_accounts(
                session, usernames=[f"p{i:04d}" for i in range(total)], workshop="bench",
                role=Role.participant, expires_at=None, created_by="bench", now=now,
            )  # fmt: skip
        d = config_d_dir()
        configs = {
            # throttling (defaults: 5 per name, 50 per address) and expiry are on
            "hubtypes-workshop": (
                WORKSHOP.format(
                    port=free_port(),
                    db_url=db_url,
                    extra=args.workshop_config,
                    login=str(d / "10-hubtypes-workshop.py"),
                    service=str(d / "30-hubtypes-workshop-service.py"),
                ),
                [(c.username, c.code) for c in creds],
            ),  # fmt: skip
            "dummy": (
                'c.JupyterHub.authenticator_class = "dummy"\nc.Authenticator.allow_all = True\n',
                [(f"p{i:04d}", "x") for i in range(total)],
            ),
            "shared-password": (
                'c.JupyterHub.authenticator_class = "shared-password"\n'
                f"c.SharedPasswordAuthenticator.user_password = {SHARED_PASSWORD!r}\n"
                "c.Authenticator.allow_all = True\n",
                [(f"p{i:04d}", SHARED_PASSWORD) for i in range(total)],
            ),
            # a diagnostic, only with --only: Dummy whose users the hub has from its start,
            # all in one group (load_groups), to tell what a hub group costs a returning
            # login; its "first" phases are not first logins
            "dummy-grouped": (
                'c.JupyterHub.authenticator_class = "dummy"\nc.Authenticator.allow_all = True\n'
                f"c.JupyterHub.load_groups = {{'workshop-bench': "
                f"{{'users': {[f'p{i:04d}' for i in range(total)]!r}}}}}\n",
                [(f"p{i:04d}", "x") for i in range(total)],
            ),
        }
        only = args.only.split(",") if args.only else [n for n in configs if n != "dummy-grouped"]
        rounds: dict[str, list[dict]] = {name: [] for name in only}
        for r in range(args.rounds):
            for name in only:
                config, users = configs[name]
                with db.session() as session:  # a workshop's start: nobody has logged in
                    session.execute(update(Account).values(last_login_at=None))
                    session.execute(delete(ThrottleEntry))
                hub = RealHub(root / f"{name}-{r}", COMMON + config, chp=chp, debug=False)
                hub.start()
                try:
                    if name == "hubtypes-workshop":
                        wait_service(hub)
                    rounds[name].append(run_hub(name, hub, users, args, bursts))
                finally:
                    hub.stop()
                    hub.kill_leftovers()
        db.dispose()
        results = {
            name: {
                phase: {key: _median([x[phase][key] for x in runs]) for key in runs[0][phase]}
                for phase in runs[0]
            }
            for name, runs in rounds.items()
        }
    print(
        json.dumps(
            {
                "benchmark": "login_burst",
                "bursts": args.bursts,
                "returning": args.returning,
                "rounds": args.rounds,
                "load_average": os.getloadavg()[0],
                "results": results,
                "workshop_vs_dummy": ratios(results),
                "goals": {
                    "logins_per_s_vs_dummy": ">= 1.0",
                    "p95_vs_dummy": "<= 1.1",
                    "unresponsive_warnings": 0,
                },  # fmt: skip
            }
        )
    )


def _median(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


if __name__ == "__main__":
    main()
