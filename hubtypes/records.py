"""Plain, immutable views of hubtypes' data, passed to the pure decision functions.

The database layer (:mod:`hubtypes.db.queries.accounts`) turns rows into these, so decisions
(expiry, hub type, mounts, reset plans) never touch SQLAlchemy or I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WorkshopView:
    slug: str
    title: str
    starts_at: datetime  # aware UTC
    ends_at: datetime  # lock time, aware UTC
    delete_after: datetime  # purge time, aware UTC


@dataclass(frozen=True)
class AccountView:
    username: str
    role: str  # "participant" | "instructor" | "admin"
    workshop: WorkshopView | None
    expires_at: datetime | None = None  # the account's own lock time, aware UTC
    disabled: bool = False
    last_login_at: datetime | None = None
    created_at: datetime | None = None
    created_by: str = ""
