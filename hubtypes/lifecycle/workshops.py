"""Workshop lifecycle decisions: status, group properties, what to lock and purge now.

Pure functions of plain views and ``now``; the workshop service's periodic task
performs what they decide. Being state-based (not event-based), a service that
was down when a date passed catches up on its first run.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hubtypes.access.expiry import AccountState, account_status
from hubtypes.clock import as_utc
from hubtypes.records import WORKSHOP_ARCHIVED, AccountView, WorkshopView


class WorkshopStatus(str, enum.Enum):
    upcoming = "upcoming"
    running = "running"
    locked = "locked"
    purge_due = "purge-due"
    purged = "purged"
    archived = "archived"  # purged, and put away by an admin


def workshop_status(workshop: WorkshopView, now: datetime, *, purged: bool) -> WorkshopStatus:
    """Where a workshop is in its life at ``now`` (``purged``: its reset has finished)."""
    if workshop.state == WORKSHOP_ARCHIVED:
        return WorkshopStatus.archived
    if purged:
        return WorkshopStatus.purged
    now = as_utc(now)
    if now >= as_utc(workshop.delete_after):
        return WorkshopStatus.purge_due
    if now >= as_utc(workshop.ends_at):
        return WorkshopStatus.locked
    if now < as_utc(workshop.starts_at):
        return WorkshopStatus.upcoming
    return WorkshopStatus.running


def group_properties(workshop: WorkshopView, status: WorkshopStatus) -> dict[str, Any]:
    """The hub group's ``properties``: a mirror of the workshop, for the admin panel."""
    return {
        "hub_type": "workshop",
        "workshop": workshop.slug,
        "title": workshop.title,
        "starts_at": as_utc(workshop.starts_at).isoformat(),
        "ends_at": as_utc(workshop.ends_at).isoformat(),
        "delete_after": as_utc(workshop.delete_after).isoformat(),
        "status": status.value,
    }


@dataclass(frozen=True)
class LifecycleActions:
    lock: tuple[str, ...] = ()  # accounts to lock now: stop servers, delete tokens
    unlock: tuple[str, ...] = ()  # lock marks to forget (the account was extended)
    purge: tuple[str, ...] = ()  # workshops whose reset should run now

    @property
    def empty(self) -> bool:
        return not (self.lock or self.unlock or self.purge)


_LOCKED = (AccountState.locked, AccountState.purge_due)


def workshop_actions(
    workshops: Iterable[WorkshopView],
    accounts: Iterable[AccountView],
    *,
    locked: Collection[str],
    purged: Collection[str],
    resetting: Collection[str],
    now: datetime,
) -> LifecycleActions:
    """What the periodic task should do at ``now``.

    ``locked``: accounts already locked by the service (their servers stopped and
    tokens deleted); ``purged``: workshops whose reset finished; ``resetting``:
    workshops whose reset is under way (resumed separately, never started twice).
    Admin accounts are never locked or purged by a workshop.
    """
    lock: list[str] = []
    unlock: list[str] = []
    for account in accounts:
        if account.role == "admin" or account.workshop is None:
            continue
        if account.workshop.slug in purged:
            continue
        state = account_status(account, now).state
        if state in _LOCKED and account.username not in locked:
            lock.append(account.username)
        elif state not in _LOCKED and account.username in locked:
            unlock.append(account.username)
    purge = [
        w.slug
        for w in workshops
        if workshop_status(w, now, purged=w.slug in purged) is WorkshopStatus.purge_due
        and w.slug not in resetting
    ]
    return LifecycleActions(tuple(sorted(lock)), tuple(sorted(unlock)), tuple(sorted(purge)))
