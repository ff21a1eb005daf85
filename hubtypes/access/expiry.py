"""Whether an account may be used now, and what to tell the person if not.

Pure functions of an :class:`~hubtypes.records.AccountView` and ``now``.

Rules:

- an account of a workshop being reset or purged is locked, whatever its role (only
  an admin's reopen opens the workshop again);
- a disabled account is locked;
- participants: not yet open before the workshop starts; locked from their
  lock time on (their own ``expires_at`` if set, which may extend or shorten
  the workshop's ``ends_at``, else the workshop's ``ends_at``); due for purge
  from the workshop's ``delete_after`` on;
- instructors and admins are staff: they can log in before the workshop opens
  and after it ends, and are never purged with it; only their own
  ``expires_at`` (if set) locks them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from hubtypes.clock import as_utc, human
from hubtypes.records import WORKSHOP_RESETTING, AccountView


class AccountState(str, enum.Enum):
    not_yet_open = "not-yet-open"
    active = "active"
    locked = "locked"
    purge_due = "purge-due"


@dataclass(frozen=True)
class AccountStatus:
    state: AccountState
    message: str  # person-facing; empty when active
    since_or_until: datetime | None = None  # opens-at, locked-since or purge date

    @property
    def can_log_in(self) -> bool:
        return self.state is AccountState.active


def lock_time(account: AccountView) -> datetime | None:
    """When the account stops working (None: never)."""
    if account.expires_at is not None:
        return as_utc(account.expires_at)
    if account.role == "participant" and account.workshop is not None:
        return as_utc(account.workshop.ends_at)
    return None


def account_status(account: AccountView, now: datetime) -> AccountStatus:
    """The account's state at ``now`` and the message a person should see."""
    now = as_utc(now)
    workshop = account.workshop
    is_participant = account.role == "participant"
    if is_participant and workshop is not None and now >= as_utc(workshop.delete_after):
        when = as_utc(workshop.delete_after)
        return AccountStatus(
            AccountState.purge_due,
            f"This workshop account has expired and is being removed (since {human(when)}).",
            when,
        )
    if workshop is not None and workshop.closed:
        return AccountStatus(
            AccountState.locked,
            "This workshop has been closed and its accounts "
            + ("are being removed" if workshop.state == WORKSHOP_RESETTING else "removed")
            + "; contact the workshop's organisers.",
        )
    if account.disabled:
        return AccountStatus(
            AccountState.locked,
            "This account has been disabled; contact your instructor.",
        )
    locks = lock_time(account)
    if locks is not None and now >= locks:
        return AccountStatus(
            AccountState.locked,
            f"Access ended on {human(locks)}; contact your instructor.",
            locks,
        )
    if is_participant and workshop is not None and now < as_utc(workshop.starts_at):
        opens = as_utc(workshop.starts_at)
        return AccountStatus(
            AccountState.not_yet_open,
            f"This workshop opens on {human(opens)}.",
            opens,
        )
    return AccountStatus(AccountState.active, "", locks)
