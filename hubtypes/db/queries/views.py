"""Rows of hubtypes' database as the plain records (:mod:`hubtypes.records`) decisions take.

One converter per record, from one column list, so every query that reads accounts
(the login hot path, the service's lists) gives the same :class:`AccountView`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from hubtypes.clock import as_utc
from hubtypes.db.models import Account, Workshop
from hubtypes.records import AccountView, WorkshopView

# what workshop_view reads: every query that joins a workshop selects these
WORKSHOP_COLUMNS = (
    Workshop.slug,
    Workshop.title,
    Workshop.starts_at,
    Workshop.ends_at,
    Workshop.delete_after,
    Workshop.state,
)

ACCOUNT_COLUMNS = (
    Account.username,
    Account.role,
    Account.expires_at,
    Account.disabled,
    Account.last_login_at,
    Account.created_at,
    Account.created_by,
    *WORKSHOP_COLUMNS,
)


def select_accounts(*extra: Any) -> Select[Any]:
    """Accounts with their workshop's columns (``extra`` columns appended), by username."""
    columns: list[Any] = [*ACCOUNT_COLUMNS, *extra]
    return select(*columns).outerjoin(Workshop).order_by(Account.username)


def workshop_view(w: Any) -> WorkshopView:
    """A :class:`WorkshopView` of a ``Workshop`` row (ORM object or Core row)."""
    return WorkshopView(
        slug=w.slug,
        title=w.title,
        starts_at=as_utc(w.starts_at),
        ends_at=as_utc(w.ends_at),
        delete_after=as_utc(w.delete_after),
        state=w.state,
    )


def account_view(row: Any) -> AccountView:
    """An :class:`AccountView` of a row selected with :data:`ACCOUNT_COLUMNS`."""
    return AccountView(
        username=row.username,
        role=row.role.value,
        workshop=workshop_view(row) if row.slug is not None else None,
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
        disabled=row.disabled,
        last_login_at=as_utc(row.last_login_at) if row.last_login_at else None,
        created_at=as_utc(row.created_at) if row.created_at else None,
        created_by=row.created_by,
    )
