"""PostgreSQL stopped during logins: the login page says the service is unavailable (no
traceback), logins resume when it is back, and no throttle state is lost.

This test runs its own PostgreSQL cluster (the session's shared one must keep running
for the other tests) and stops and starts it with ``pg_ctl``, as an outage would.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_USER, skip_or_fail
from loginhub import add_accounts, attempt, counter, start, succeeded
from realhub import free_port, login_error

UNAVAILABLE = "Logins are unavailable for a moment; please try again in a minute."

pytestmark = [pytest.mark.hub, pytest.mark.postgres]


class Cluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1 that can be stopped and started."""

    def __init__(self, bindir: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hubtypes-pg-outage-"))
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.root, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.data = self.root / "data"
        self.pg_ctl = [*self.as_postgres, str(bindir / "pg_ctl"), "-D", str(self.data)]
        self._run([*self.as_postgres, str(bindir / "initdb"), "-D", str(self.data), "-U",
                   PG_USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])  # fmt: skip
        self.url = f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        r = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run([*self.pg_ctl, "-l", str(self.root / "pg.log"), "-o", options, "-w", "start"])

    def stop(self) -> None:
        self._run([*self.pg_ctl, "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        subprocess.run([*self.pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        skip_or_fail("PostgreSQL is not installed (apt-get install postgresql)")
    pg = Cluster(Path(initdbs[-1]).parent)
    try:
        pg.start()
        yield pg
    finally:
        pg.remove()


def test_postgres_stopped_during_logins(real_hub_factory, cluster):
    codes = add_accounts(cluster.url, ["ann", "bob"])
    hub = start(real_hub_factory, cluster.url, pair=5)
    assert succeeded(attempt(hub, "bob", codes["bob"]))
    for _ in range(3):
        assert attempt(hub, "ann", "wrong").status_code == 403
    before = len(hub.log_text())

    cluster.stop()
    for name, code in [("bob", codes["bob"]), ("ann", "wrong"), ("ann", codes["ann"])]:
        r = attempt(hub, name, code)
        assert r.status_code == 503, (r.status_code, r.text[-2000:])
        assert login_error(r) == UNAVAILABLE
    outage_log = hub.log_text()[before:]
    assert "Traceback" not in outage_log, outage_log[-3000:]
    assert "hubtypes' database is unavailable" in outage_log
    assert codes["bob"] not in outage_log

    cluster.start()
    assert succeeded(attempt(hub, "bob", codes["bob"]))
    # the three failures from before the outage still count: two more reach the limit
    assert counter(cluster.url, "pair:127.0.0.1/ann") == 3
    assert [attempt(hub, "ann", "wrong").status_code for _ in range(3)] == [403, 403, 429]
    assert attempt(hub, "ann", codes["ann"]).status_code == 429
    assert succeeded(attempt(hub, "ann", codes["ann"], source="127.0.0.2"))
    assert "Traceback" not in hub.log_text()
