"""The databases a ``hubtypes`` command opens, and their disposal when it ends."""

from __future__ import annotations

import os

from hubtypes.cli.errors import CliError
from hubtypes.db.database import Database, DatabaseError
from hubtypes.inputs import InputError

# The databases the running command opened: disposed of when it ends, so that `main()`
# called more than once in a process (by a program, or a test) leaves no connections open
# (PostgreSQL counts them, and refuses to drop a database someone is connected to).
_opened: list[Database] = []


def open_database(url: str, *, read_only: bool = False) -> Database:
    """hubtypes' database; ``read_only`` commands never create one (a mistyped path or a
    wrong directory is said, not answered with an empty new file)."""
    if read_only:
        path = url.split("?", 1)[0].removeprefix("sqlite:///")
        if url.startswith("sqlite:///") and path and not os.path.exists(path):
            raise InputError(
                "db_url",
                f"there is no hubtypes database at {os.path.abspath(path)} (the default is "
                "hubtypes.sqlite in the current directory; set $HUBTYPES_DB_URL or "
                "--db-url, e.g. the one `hubtypes demo` prints)",
            )
    try:
        database = Database(url, upgrade=not read_only)
    except DatabaseError as e:
        raise CliError(str(e)) from None
    _opened.append(database)
    return database


def close_databases() -> None:
    """Dispose of the databases the command opened (its connections close)."""
    while _opened:
        _opened.pop().dispose()
