"""Time helpers: one notion of "now" that every decision takes as a parameter.

Decisions never call ``datetime.now()`` themselves; they take ``now`` (or a
:data:`Clock`) so tests can drive them with any time they like.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Aware UTC for a stored (naive UTC) or aware datetime."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_db(value: datetime) -> datetime:
    """Naive UTC for storage: SQLite and PostgreSQL then compare the same way."""
    return as_utc(value).replace(tzinfo=None)


def human(value: datetime) -> str:
    """A person-facing date, e.g. '2026-11-24 17:00 UTC'."""
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
