"""Schema management: create new databases at head, refuse out-of-date ones, upgrade.

Alembic keeps hubtypes' revision in its own table (``hubtypes_alembic_version``)
so hubtypes can share a database with other applications, even the hub's.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from hubtypes.db.engine import DatabaseError, make_engine

VERSION_TABLE = "hubtypes_alembic_version"
# The newest migration. Kept here so checking a database needs no alembic import
# (which costs ~0.4 s at every hub start and command); a test keeps it in step.
HEAD = "0006"
MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(url: str):  # -> alembic.config.Config (imported lazily: it is slow)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision according to the migration scripts themselves."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    if VERSION_TABLE not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade_command(url: str) -> str:
    return f"hubtypes db upgrade --db-url '{url}'"


def ensure_schema(engine: Engine, url: str, *, create_if_empty: bool = True) -> None:
    """Make sure the database is at the current schema.

    A database with none of hubtypes' tables is created at head (when
    ``create_if_empty``); one at an older revision raises :class:`DatabaseError`
    naming the upgrade command, as JupyterHub does for its own database.
    """
    tables = set(inspect(engine).get_table_names())
    ours = {t for t in tables if t.startswith("hubtypes_")}
    if not ours and create_if_empty:
        upgrade(url, engine=engine)
        return
    current = current_revision(engine) if VERSION_TABLE in tables else None
    head = HEAD
    if current != head:
        raise DatabaseError(
            f"hubtypes' database ({_redact(url)}) is at schema revision {current or 'none'}, "
            f"this version of hubtypes needs {head}. Back it up, then run:\n"
            f"    {upgrade_command(_redact(url))}"
        )


def upgrade(url: str, *, engine: Engine | None = None) -> tuple[str | None, str]:
    """Upgrade the database at ``url`` to head; returns (revision before, revision after)."""
    from alembic import command

    own = engine is None
    engine = engine or make_engine(url)
    try:
        before = current_revision(engine)
        config = _alembic_config(url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        return before, current_revision(engine) or ""
    finally:
        if own:
            engine.dispose()


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
