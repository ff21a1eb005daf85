"""Create 500 workshop accounts through the workshop service's REST API (goal: < 1 s).

Prints one JSON line. Run: python tests/benchmarks/bench_accounts_api.py [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from _svc import hub_cpu_seconds, start


def main(n: int = 500, repeats: int = 3) -> None:
    sh, hub = start()
    try:
        times = []
        cpu_before = hub_cpu_seconds(hub)
        for i in range(repeats):
            slug = f"bench{i}"
            body = {"slug": slug, "starts": "+0s", "ends": "+1d", "delete_after": "+2d"}
            assert sh.call("POST", "workshops", json=body).status_code == 201
            t0 = time.perf_counter()
            r = sh.call("POST", f"workshops/{slug}/accounts", json={"count": n})
            times.append(time.perf_counter() - t0)
            assert r.status_code == 201 and len(r.json()["credentials"]) == n, r.text[:500]
        cpu = hub_cpu_seconds(hub) - cpu_before
        print(json.dumps({
            "benchmark": "accounts_api",
            "accounts": n,
            "repeats": repeats,
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "goal_s": 1.0,
            "hub_cpu_s_total": round(cpu, 3),
        }))  # fmt: skip
    finally:
        hub.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
