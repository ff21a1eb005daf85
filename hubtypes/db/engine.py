"""SQLAlchemy engines for hubtypes' database: WAL and a busy timeout for SQLite."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from sqlalchemy import Engine, create_engine, event

DEFAULT_URL = "sqlite:///hubtypes.sqlite"


class DatabaseError(RuntimeError):
    """hubtypes' database cannot be used as it is (e.g. it needs an upgrade)."""


BUSY_TIMEOUT_S = 10


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the hub and a service process read and write one file at once;
        # busy_timeout makes a writer wait for the other instead of failing.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


def make_engine(url: str, *, wait_when_busy: bool = True) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode and a busy timeout.

    ``wait_when_busy=False``: a SQLite database another connection is writing to fails at
    once ("database is locked") instead of waiting, for calls made on an event loop.
    """
    kwargs: dict[str, Any] = {"future": True}
    timeout = BUSY_TIMEOUT_S if wait_when_busy else 0
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas(timeout * 1000))
    return engine


# These lived here in hubtypes 0.1 (docs/reference.md named hubtypes.db.engine.HubTypesDatabase)
# and moved to hubtypes.db.database. database.py imports this module, so they are looked up on
# first use rather than imported: a plain import would be an import cycle.
_MOVED_TO_DATABASE = frozenset({"Database", "HubTypesDatabase", "get_database", "forget_databases"})


def __getattr__(name: str) -> Any:
    """The names that moved to :mod:`hubtypes.db.database`, with a DeprecationWarning."""
    if name in _MOVED_TO_DATABASE:
        warnings.warn(
            f"hubtypes.db.engine.{name} moved: import it from hubtypes.db.database "
            "(the old path goes in hubtypes 0.3)",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("hubtypes.db.database"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
