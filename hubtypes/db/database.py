"""Connecting to hubtypes' database, checked to be at the current schema.

One :class:`Database` per URL per process: the authenticator, the spawner mixin
and the services' in-process parts share its engine and connection pool.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from traitlets import Unicode, default
from traitlets.config import LoggingConfigurable

from hubtypes.db.engine import DEFAULT_URL, DatabaseError, make_engine
from hubtypes.db.schema import ensure_schema

__all__ = [
    "Database",
    "DatabaseError",
    "HubTypesDatabase",
    "forget_databases",
    "get_database",
    "without_waiting",
]

_waiting = contextvars.ContextVar("hubtypes_db_waits_when_busy", default=True)


@contextmanager
def without_waiting() -> Iterator[None]:
    """Inside, a SQLite database that another connection is writing to fails at once
    (``OperationalError``) instead of waiting up to its busy timeout: for calls on the
    hub's event loop, which must never stall behind another process's write."""
    token = _waiting.set(False)
    try:
        yield
    finally:
        _waiting.reset(token)


class Database:
    """An engine and a session factory for one URL, checked to be at the current schema."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        ensure_schema(self.engine, url, create_if_empty=upgrade)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._no_wait_engine: Engine | None = None
        self._no_wait_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        """A local file: a short transaction is as quick as the hub's own queries."""
        return self.engine.dialect.name == "sqlite"

    def _engine(self) -> Engine:
        if _waiting.get() or not self.is_sqlite:
            return self.engine
        if self._no_wait_engine is None:  # a second pool, made once: it never waits
            with self._no_wait_lock:
                if self._no_wait_engine is None:
                    self._no_wait_engine = make_engine(self.url, wait_when_busy=False)
        return self._no_wait_engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions(bind=self._engine()) as session, session.begin():
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection in one transaction: for hot paths that need no ORM."""
        with self._engine().begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
        if self._no_wait_engine is not None:
            self._no_wait_engine.dispose()


_databases: dict[str, Database] = {}
_lock = threading.Lock()


def get_database(url: str) -> Database:
    """The process-wide :class:`Database` for ``url`` (created, and migrated if new, once)."""
    with _lock:
        db = _databases.get(url)
        if db is None:
            db = _databases[url] = Database(url)
        return db


def forget_databases() -> None:
    """Dispose of every cached engine (tests, and a CLI that is done)."""
    with _lock:
        for db in _databases.values():
            db.dispose()
        _databases.clear()


class HubTypesDatabase(LoggingConfigurable):
    """Where hubtypes keeps its own data. Shared by every hubtypes part in a process."""

    url = Unicode(
        help="""SQLAlchemy URL of hubtypes' own database (workshops, accounts, login
        throttling, audit log). Default: ``$HUBTYPES_DB_URL`` if set (the hub, the
        workshop service and the ``hubtypes`` command all read it, so one variable
        points every part at the same database), else a SQLite file in the working
        directory, ``sqlite:///hubtypes.sqlite``, opened in WAL mode so the hub and a
        service can share it. Use e.g. ``postgresql+psycopg2://user:pass@host/hubtypes``
        in production.
        A new database is created at the current schema; an older one must be
        upgraded with ``hubtypes db upgrade --db-url URL``.""",
    ).tag(config=True)

    @default("url")
    def _default_url(self) -> str:
        return os.environ.get("HUBTYPES_DB_URL") or DEFAULT_URL

    def connect(self) -> Database:
        return get_database(self.url)
