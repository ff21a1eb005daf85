"""The database fixtures reach a real, empty database on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text


def _select_one(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("select 1")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_pg_url_answers(pg_url: str) -> None:
    assert pg_url.startswith("postgresql")
    assert _select_one(pg_url) == 1


def test_db_url_is_fresh_and_empty(db_url: str) -> None:
    assert _select_one(db_url) == 1
    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
