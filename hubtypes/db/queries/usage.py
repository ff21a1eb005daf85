"""Daily usage counts (the culler writes them at each sweep): they outlive deleted users."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hubtypes.db.models import UsageDay, UsageSeen
from hubtypes.lifecycle.usage import UsageEntry


def record_usage(session: Session, entries: Sequence[UsageEntry], *, keep_keys_from: date) -> None:
    """Add one sweep's entries: each person once per day, server time always."""
    seen = {
        (row.day, row.person)
        for row in session.scalars(
            select(UsageSeen).where(UsageSeen.day.in_({e.day for e in entries}))
        )
    }
    days: dict[tuple[date, str, str], UsageDay] = {}
    for e in entries:
        key = (e.day, e.hub_type, e.workshop)
        row = days.get(key) or session.get(UsageDay, key)
        if row is None:
            row = UsageDay(
                day=e.day, hub_type=e.hub_type, workshop=e.workshop, active_users=0,
                server_seconds=0.0,
            )  # fmt: skip
            session.add(row)
        days[key] = row
        row.server_seconds += e.server_seconds
        if (e.day, e.person) not in seen:
            seen.add((e.day, e.person))
            session.add(UsageSeen(day=e.day, person=e.person))
            row.active_users += 1
    session.execute(delete(UsageSeen).where(UsageSeen.day < keep_keys_from))


def usage_since(session: Session, first: date) -> list[dict[str, Any]]:
    """Daily rows from ``first`` on, newest first: day, hub type, workshop, people, and the
    server time (seconds, and hours rounded for people)."""
    stmt = (
        select(UsageDay)
        .where(UsageDay.day >= first)
        .order_by(UsageDay.day.desc(), UsageDay.hub_type, UsageDay.workshop)
    )
    return [
        {
            "day": row.day.isoformat(),
            "hub_type": row.hub_type,
            "workshop": row.workshop,
            "active_users": row.active_users,
            "server_seconds": round(row.server_seconds, 1),
            "server_hours": round(row.server_seconds / 3600, 3),
        }
        for row in session.scalars(stmt)
    ]
