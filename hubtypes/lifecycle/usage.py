"""How much a hub was used, counted so the counts outlive the users: pure, no I/O.

Binder users are deleted once their servers are gone and workshops are purged whole, so
the hub's own user list cannot say how many people used it last week. The culler sees
every user with a server at each sweep; from that it records, per day, hub type and
workshop, how many people were active and how many server hours ran. People are counted
once a day by a key derived from their name and the day (:func:`person_key`): the counts
need no name, and the keys of past days are dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hubtypes.clock import as_utc


@dataclass(frozen=True)
class Seen:
    """One user as a sweep saw them."""

    name: str
    hub_type: str  # community | workshop | binder
    workshop: str  # the workshop's slug, "" for none
    running: int  # servers ready or pending
    last_activity: datetime | None


@dataclass(frozen=True)
class UsageEntry:
    """What one sweep adds to one person's day."""

    day: date
    person: str  # person_key(), never the name
    hub_type: str
    workshop: str
    server_seconds: float


def person_key(name: str, day: date) -> str:
    """The same for one person all day, unrelated across days."""
    return hashlib.sha256(f"{day.isoformat()}\0{name}".encode()).hexdigest()[:32]


def usage_entries(
    seen: Iterable[Seen], *, now: datetime, since: datetime | None, max_gap: float
) -> list[UsageEntry]:
    """The entries of one sweep at ``now``; the previous sweep was at ``since`` (None: this
    is the first). Server time is the time between the two sweeps (at most ``max_gap``
    seconds, so a culler that was down does not invent hours), per running server.

    A user is active today if a server of theirs runs or they were active today.
    """
    now = as_utc(now)
    today = now.date()
    gap = 0.0
    if since is not None:
        gap = max(0.0, min((now - as_utc(since)).total_seconds(), max_gap))
    midnight = datetime(today.year, today.month, today.day, tzinfo=now.tzinfo)
    entries = []
    for s in seen:
        active_today = s.last_activity is not None and as_utc(s.last_activity) >= midnight
        if not s.running and not active_today:
            continue
        entries.append(
            UsageEntry(today, person_key(s.name, today), s.hub_type, s.workshop, gap * s.running)
        )
    return entries


def days_to_keep_keys(now: datetime) -> date:
    """Person keys older than this day are dropped (yesterday's are kept for a late sweep)."""
    return as_utc(now).date() - timedelta(days=1)


__all__ = ["Seen", "UsageEntry", "days_to_keep_keys", "person_key", "usage_entries"]
