"""Where a login's database transaction runs (``WorkshopAuthenticator.sqlite_on_event_loop``).

On SQLite it runs on the hub's event loop, unless another process is writing: then the loop
does not wait, and the login waits for the lock in a worker thread. PostgreSQL, and SQLite
with the setting off, always use a worker thread. The other process here is a real one
holding SQLite's write lock (``BEGIN IMMEDIATE``), as the workshop service does while it
creates accounts.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from hubtypes.auth.workshop import WorkshopAuthenticator
from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries.accounts import create_accounts
from hubtypes.db.queries.workshops import create_workshop
from hubtypes.inputs import WorkshopInput

NOW = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
D = timedelta(days=1)

HOLD_WRITE_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS busy (x)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def authenticator(db_url: str, **settings: Any) -> tuple[WorkshopAuthenticator, str, Database]:
    db = Database(db_url)
    with db.session() as s:
        create_workshop(s, WorkshopInput("py", "Python", NOW - D, NOW + D, NOW + 9 * D),
                        created_by="t", now=NOW - D)  # fmt: skip
        [cred] = create_accounts(s, usernames=["ann"], workshop="py", role=Role.participant,
                                 expires_at=None, created_by="t", now=NOW - D)  # fmt: skip
    config = Config()
    config.HubTypesDatabase.url = db_url
    for name, value in settings.items():
        setattr(config.WorkshopAuthenticator, name, value)
    return WorkshopAuthenticator(config=config, clock=lambda: NOW), cred.code, db


def where_the_check_ran(auth: WorkshopAuthenticator) -> list[int]:
    """Record the thread each login transaction runs in (the real one still runs)."""
    threads: list[int] = []
    check = auth._check_login

    def recording(*args: Any) -> Any:
        threads.append(threading.get_ident())
        return check(*args)

    auth._check_login = recording  # type: ignore[method-assign]
    return threads


async def test_on_sqlite_a_login_runs_on_the_event_loop(tmp_path: Path) -> None:
    auth, code, db = authenticator(f"sqlite:///{tmp_path / 'h.sqlite'}")
    threads = where_the_check_ran(auth)
    model = await auth.authenticate(None, {"username": "ann", "password": code})
    assert model is not None and model["name"] == "ann"
    assert threads == [threading.get_ident()]
    db.dispose()


@pytest.mark.postgres
async def test_on_postgresql_or_when_turned_off_a_login_runs_in_a_thread(
    tmp_path: Path, fresh_pg_url: str
) -> None:
    for url, settings in [
        (fresh_pg_url, {}),
        (f"sqlite:///{tmp_path / 'h.sqlite'}", {"sqlite_on_event_loop": False}),
    ]:
        auth, code, db = authenticator(url, **settings)
        threads = where_the_check_ran(auth)
        model = await auth.authenticate(None, {"username": "ann", "password": code})
        assert model is not None and model["name"] == "ann"
        assert len(threads) == 1 and threads[0] != threading.get_ident(), url
        db.dispose()


async def test_a_busy_database_is_waited_for_in_a_thread_never_on_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.sqlite"
    auth, code, db = authenticator(f"sqlite:///{path}")
    threads = where_the_check_ran(auth)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK, str(path), "3"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        # the loop keeps ticking while the login waits for the other process's commit
        ticks: list[float] = []

        async def tick() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)

        ticker = asyncio.ensure_future(tick())
        t0 = time.monotonic()
        model = await auth.authenticate(None, {"username": "ann", "password": code})
        waited = time.monotonic() - t0
        ticker.cancel()
    finally:
        holder.wait(10)
    assert model is not None and model["name"] == "ann"
    assert waited > 1.0, "the login did not wait for the other process's write lock"
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert gaps and max(gaps) < 1.5, f"the loop stalled: {len(ticks)} ticks in {waited:.1f} s"
    # tried on the loop (busy at once), then again in a worker thread, which waited
    assert threads[0] == threading.get_ident()
    assert len(threads) == 2 and threads[1] != threading.get_ident()
    db.dispose()
