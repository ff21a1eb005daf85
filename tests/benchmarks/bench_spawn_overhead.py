"""Spawn overhead of the hub-type mixin: hubtypes-simple vs bare SimpleLocalProcessSpawner.

Two real hubs run side by side in one run (same machine, same moment), each
spawning real jupyter-server single-user servers; spawns alternate between
them so drift affects both alike. The mixin hub looks every user up in
hubtypes' database (SQLite), where they are workshop participants, so each
spawn resolves the hub type, creates home/materials/shared and adds the guard.
Measures POST /users/{name}/server until the server is ready. Prints one JSON
line with the median spawn time of each and their ratio.

    python tests/benchmarks/bench_spawn_overhead.py [--spawns 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realhub import RealHub  # noqa: E402

from hubtypes.cli.chp import find_configurable_http_proxy  # noqa: E402
from hubtypes.clock import to_db  # noqa: E402
from hubtypes.db.database import Database  # noqa: E402
from hubtypes.db.models import Account, Role, Workshop  # noqa: E402

COMMON = f"""
c.JupyterHub.authenticator_class = 'dummy'
c.Authenticator.allow_all = True
c.Spawner.args = {["--allow-root"] if os.geteuid() == 0 else []!r}
c.Spawner.http_timeout = 60
c.JupyterHub.log_level = 'INFO'
"""


def make_database(url: str, users: list[str]) -> None:
    now = datetime.now(timezone.utc)
    db = Database(url)
    with db.session() as s:
        ws = Workshop(
            slug="bench",
            title="Bench",
            starts_at=to_db(now),
            ends_at=to_db(now + timedelta(days=1)),
            delete_after=to_db(now + timedelta(days=2)),
            created_at=to_db(now),
        )
        s.add(ws)
        s.flush()
        for name in users:
            s.add(
                Account(
                    username=name,
                    workshop_id=ws.id,
                    role=Role.participant,
                    code_hash="x",
                    created_at=to_db(now),
                )
            )
    db.dispose()


def spawn_seconds(hub: RealHub, name: str) -> float:
    assert hub.api("POST", f"/users/{name}").status_code == 201
    t0 = time.perf_counter()
    r = hub.api("POST", f"/users/{name}/server")
    assert r.status_code in (201, 202), r.text
    while True:
        server = hub.api("GET", f"/users/{name}").json()["servers"].get("")
        if server and server["ready"]:
            elapsed = time.perf_counter() - t0
            break
        if time.perf_counter() - t0 > 120:
            raise RuntimeError(f"spawn of {name} timed out:\n{hub.log_tail()}")
        time.sleep(0.02)
    assert hub.api("DELETE", f"/users/{name}/server").status_code in (202, 204)
    # wait for the stop to finish, so no server of this spawn competes with the next
    while hub.api("GET", f"/users/{name}").json()["servers"]:
        time.sleep(0.05)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spawns", type=int, default=10)
    args = parser.parse_args()
    chp = find_configurable_http_proxy()
    if chp is None:
        raise SystemExit("needs npm's configurable-http-proxy")
    base = Path(tempfile.mkdtemp(prefix="hubtypes-bench-spawn-"))
    users = [f"user{i}" for i in range(args.spawns + 1)]
    db_url = f"sqlite:///{base / 'hubtypes.sqlite'}"
    make_database(db_url, users)
    bare = RealHub(
        base / "bare",
        COMMON + "c.JupyterHub.spawner_class = 'simple'\n"
        f"c.SimpleLocalProcessSpawner.home_dir_template = '{base}/bare-homes/{{username}}'\n",
        chp=chp,
        debug=False,
    )
    mixin = RealHub(
        base / "mixin",
        COMMON + "c.JupyterHub.spawner_class = 'hubtypes-simple'\n"
        f"c.HubTypesDatabase.url = {db_url!r}\n"
        f"c.HubTypeSpawnerMixin.storage_root = '{base}/store'\n",
        chp=chp,
        debug=False,
    )
    times: dict[str, list[float]] = {"bare": [], "mixin": []}
    try:
        bare.start()
        mixin.start()
        spawn_seconds(bare, users[0])  # warm-up: first imports, page cache
        spawn_seconds(mixin, users[0])
        for name in users[1:]:
            for label, hub in (("bare", bare), ("mixin", mixin)):
                times[label].append(spawn_seconds(hub, name))
    finally:
        bare.stop()
        mixin.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        json.dumps(
            {
                "benchmark": "spawn_overhead",
                "spawns_each": args.spawns,
                "bare_median_s": round(med["bare"], 3),
                "mixin_median_s": round(med["mixin"], 3),
                "mixin_over_bare": round(med["mixin"] / med["bare"], 3),
                "bare_all_s": [round(t, 3) for t in times["bare"]],
                "mixin_all_s": [round(t, 3) for t in times["mixin"]],
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
