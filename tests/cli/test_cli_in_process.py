"""``hubtypes.cli.main`` called in a process that goes on afterwards (a program, or the
tests' helper tests/clirun.py): each command leaves no database connection open."""

from __future__ import annotations

import clirun
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.postgres


def connections_to(url: str) -> int:
    """Connections to ``url``'s database other than the one asking."""
    database = make_url(url).database
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_each_command_closes_what_it_opened(fresh_pg_url: str) -> None:
    db = ["--db-url", fresh_pg_url]
    clirun.ok("db", "upgrade", *db)
    clirun.ok("workshop", "create", "py", "--starts", "+0s", "--ends", "+1d",
              "--delete-after", "+2d", *db)  # fmt: skip
    clirun.ok("accounts", "create", "--workshop", "py", "--count", "2", "--skip-hub-check", *db)
    assert "py-001" in clirun.ok("accounts", "list", "--workshop", "py", *db)
    failed = clirun.hubtypes("accounts", "create", "--workshop", "nope", "--count", "1",
                             "--skip-hub-check", *db)  # fmt: skip
    assert failed.returncode == 2 and "nope" in failed.stderr
    assert connections_to(fresh_pg_url) == 0
