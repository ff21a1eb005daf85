"""What the workshop service does with grants at a workshop's lock and purge: pure.

At the lock a guest (someone only the grant let in) loses every server and token; a
community member (someone the base authenticator allows) loses the workshop's named
server only. At the purge a guest who is not a hub admin is deleted (the hub then removes
their storage); a community member's workshop server is removed (its storage goes with
``delete_forever``) and the user is kept. Either way the grant goes, an instructor's too
(instructors are staff until then: only their grant's own end locks them before it).
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from hubtypes.access.expiry import AccountState
from hubtypes.access.grants import GrantView, Standing, grant_status, workshop_server_name
from hubtypes.clock import as_utc


@dataclass(frozen=True)
class GrantActions:
    lock: tuple[GrantView, ...] = ()  # lock time passed, not yet locked
    unlock: tuple[GrantView, ...] = ()  # locked, then extended: forget the lock mark
    purge: tuple[GrantView, ...] = ()  # the workshop's purge date passed

    @property
    def empty(self) -> bool:
        return not (self.lock or self.unlock or self.purge)


_LOCKED = (AccountState.locked, AccountState.purge_due)


def grant_actions(grants: Iterable[GrantView], now: datetime) -> GrantActions:
    lock, unlock, purge = [], [], []
    for grant in grants:
        if as_utc(now) >= as_utc(grant.workshop.delete_after):
            purge.append(grant)
            continue
        locked = grant_status(grant, now).state in _LOCKED
        if locked and grant.locked_at is None:
            lock.append(grant)
        elif not locked and grant.locked_at is not None:
            unlock.append(grant)

    def order(items: list[GrantView]) -> tuple[GrantView, ...]:
        return tuple(sorted(items, key=lambda g: (g.workshop.slug, g.identity)))

    return GrantActions(order(lock), order(unlock), order(purge))


@dataclass(frozen=True)
class LockStep:
    stop: tuple[str, ...]  # server names to stop ("" is the default server)
    delete_tokens: bool


def lock_step(grant: GrantView, running: Collection[str]) -> LockStep:
    """What locking one grant does, given the user's running servers."""
    if grant.standing is Standing.guest:
        return LockStep(tuple(sorted(running)), True)
    server = workshop_server_name(grant.workshop.slug)
    return LockStep((server,) if server in running else (), False)


class PurgeStep(str, enum.Enum):
    delete_user = "delete-user"  # the hub deletes the user, their servers and storage
    remove_server = "remove-server"  # the hub removes the workshop's named server
    forget = "forget"  # nothing on the hub: only the grant goes


def purge_step(
    grant: GrantView, *, hub_user: bool, admin: bool, servers: Collection[str]
) -> PurgeStep:
    """What purging one grant does. ``servers``: every server the user has, running or not.

    Only a guest is deleted, and never a hub admin: the user is deleted only if nothing but
    the grant allowed them.
    """
    if not hub_user:
        return PurgeStep.forget
    if grant.standing is Standing.guest and not admin:
        return PurgeStep.delete_user
    if workshop_server_name(grant.workshop.slug) in servers:
        return PurgeStep.remove_server
    return PurgeStep.forget


__all__ = ["GrantActions", "LockStep", "PurgeStep", "grant_actions", "lock_step", "purge_step"]
