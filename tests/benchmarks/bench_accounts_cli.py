"""Creating 1,000 workshop accounts with codes through the ``hubtypes`` command, next to
what an admin of a shared-password hub does today: creating the users in the hub in bulk
(``POST /hub/api/users``). Prints one JSON line.

    python tests/benchmarks/bench_accounts_cli.py [--count 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realhub import RealHub  # noqa: E402

from hubtypes.cli.chp import find_configurable_http_proxy  # noqa: E402


def hubtypes(*args: str, db_url: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hubtypes.cli", *args, "--db-url", db_url],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'hubtypes.sqlite'}"
        walls = []
        for r in range(args.rounds):
            slug = f"w{r}"
            hubtypes("workshop", "create", slug, "--starts", "+0s", "--ends", "+2d",
                     "--delete-after", "+9d", db_url=db_url)  # fmt: skip
            walls.append(
                hubtypes(
                    "accounts",
                    "create",
                    "--workshop",
                    slug,
                    "--count",
                    str(args.count),
                    "--format",
                    "csv",
                    "--skip-hub-check",  # no hub in this benchmark
                    db_url=db_url,
                )  # fmt: skip
            )
        chp = find_configurable_http_proxy()
        assert chp, "configurable-http-proxy is needed"
        hub = RealHub(
            Path(tmp) / "hub",
            'c.JupyterHub.authenticator_class = "shared-password"\n'
            'c.SharedPasswordAuthenticator.user_password = "workshop-password-2026"\n'
            "c.Authenticator.allow_all = True\n",
            chp=chp,
            debug=False,
        )
        hub.start()
        try:
            names = [f"p{i:05d}" for i in range(args.count)]
            start = time.perf_counter()
            response = hub.api("POST", "/users", json={"usernames": names}, timeout=600)
            hub_wall = time.perf_counter() - start
            assert response.status_code == 201, response.text[:300]
        finally:
            hub.stop()
    print(
        json.dumps(
            {
                "benchmark": "create_accounts",
                "count": args.count,
                "hubtypes_cli_wall_s": round(statistics.median(walls), 2),
                "hubtypes_cli_rounds_s": [round(w, 2) for w in walls],
                "hub_bulk_post_users_wall_s": round(hub_wall, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
