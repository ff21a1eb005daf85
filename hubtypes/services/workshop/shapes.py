"""The JSON shapes the service's API answers with (docs/openapi.yaml), and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hubtypes.access.dates import account_dates
from hubtypes.access.expiry import account_status
from hubtypes.clock import human
from hubtypes.lifecycle.workshops import WorkshopStatus
from hubtypes.records import AccountView, WorkshopView


def workshop_json(
    view: WorkshopView, status: WorkshopStatus, counts: Mapping[str, int]
) -> dict[str, Any]:
    return {
        "slug": view.slug,
        "title": view.title,
        "starts_at": view.starts_at.isoformat(),
        "ends_at": view.ends_at.isoformat(),
        "delete_after": view.delete_after.isoformat(),
        "status": status.value,
        "counts": dict(counts),
    }


def account_json(view: AccountView, now: datetime, *, running: bool) -> dict[str, Any]:
    status = account_status(view, now)
    dates = account_dates(view)  # what the participant is told, as on their card
    return {
        "username": view.username,
        "role": view.role,
        "status": status.state.value,
        "expires_at": view.expires_at.isoformat() if view.expires_at else None,
        "disabled": view.disabled,
        "last_login_at": view.last_login_at.isoformat() if view.last_login_at else None,
        "server_running": running,
        "access_ends": dates.ends.isoformat() if dates.ends else None,
        "files_deleted_after": dates.deleted_after.isoformat() if dates.deleted_after else None,
    }


def audit_json(e: Any) -> dict[str, Any]:
    return {
        "at": e.at.isoformat() + "Z",
        "when": human(e.at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "details": e.details or {},
    }


# the accounts export (API and page): who, their state, and the dates they were told
EXPORT_COLUMNS = (
    "username",
    "role",
    "status",
    "expires_at",
    "access_ends",
    "files_deleted_after",
    "last_login_at",
)


def accounts_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` (dicts) as CSV with a header of ``columns``; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()
