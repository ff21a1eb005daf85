"""Who belongs in each workshop's hub groups, derived from hubtypes' accounts (no I/O).

The workshop service writes the membership in bulk (:mod:`hubtypes.services.workshop.groups`);
the hub's login no longer does it for participants. hubtypes' database is the one source of
truth, so the decision is made from accounts alone:

* a workshop's members group holds its participants and instructors that have logged in
  (only they have a hub user; the hub refuses to add a name it does not know);
* its instructors group holds its instructors that have logged in;
* disabled accounts are not added (a reset disables the accounts it is about to delete);
* admin accounts belong to no workshop group (as at their login, which clears their groups).

Nobody is removed. A hub user whose account goes is deleted by the hub, and the hub drops
it from its groups then; a member with no account in the workshop was added by an admin on
purpose (a helper, say), and a reset's plan lists them as kept, never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubtypes.access.names import GroupNames
from hubtypes.records import AccountView


@dataclass(frozen=True)
class GroupChange:
    """The users to add to one workshop's hub group (sorted)."""

    workshop: str
    add: tuple[str, ...] = ()


def _groups_of(account: AccountView, names: GroupNames) -> tuple[str, ...]:
    if account.workshop is None or account.role not in ("participant", "instructor"):
        return ()
    members, instructors = names.of(account.workshop.slug)
    return (members, instructors) if account.role == "instructor" else (members,)


def group_changes(
    accounts: Iterable[AccountView],
    names: GroupNames,
    current: Mapping[str, Iterable[str]],
    *,
    settled_before: datetime | None = None,
) -> dict[str, GroupChange]:
    """Per hub group, what to change so it matches ``accounts``.

    ``current`` maps a group name to the members the hub is known to have (a group missing
    from it is taken as empty; with ``{}``, the result is everyone who belongs). Every
    workshop group that has an account gets an entry, possibly with nothing to add.

    ``settled_before``: an account that logged in after it waits for a later pass. Its row
    is written while the hub is still logging it in, and at a first login the hub user
    comes just after; a name the hub does not have yet fails the whole request (400), and
    each request costs the hub a read of the group's every member.
    """
    wanted: dict[str, set[str]] = {}
    workshop_of: dict[str, str] = {}
    for account in accounts:
        for group in _groups_of(account, names):
            workshop_of[group] = account.workshop.slug  # type: ignore[union-attr]
            wanted.setdefault(group, set())
            login = account.last_login_at
            if login is None or account.disabled:
                continue
            if settled_before is not None and login > settled_before:
                continue
            wanted[group].add(account.username)
    return {
        group: GroupChange(
            workshop_of[group], tuple(sorted(wanted[group] - set(current.get(group, ()))))
        )
        for group in sorted(wanted)
    }


# more logins than this within the settle window (2 s by default) is a burst: a workshop's
# start, not a participant arriving late
BURST_LOGINS = 10


def held_for_burst(
    accounts: Sequence[AccountView],
    changes: Mapping[str, GroupChange],
    now: datetime,
    *,
    window: timedelta,
    max_delay: timedelta,
    burst: int = BURST_LOGINS,
) -> frozenset[str]:
    """The names among ``changes`` that wait for a later pass because of a login burst.

    The hub adds members on the same event loop that logs people in, and looks each name
    up with its relationships loaded (about 1 ms a name, jupyterhub/apihandlers/groups.py):
    during 1,000 logins that is a tenth of the hub, taken from the logins. So while more
    than ``burst`` accounts logged in within the last ``window``, an addition waits until
    its login is ``max_delay`` old: a burst longer than that has its earliest arrivals
    added a few at a time as they come due, never all at once. Empty (add everyone) when
    there is no burst; ``max_delay`` of 0 never holds anyone.
    """
    if max_delay <= timedelta(0):
        return frozenset()
    waiting = {name for change in changes.values() for name in change.add}
    if not waiting:
        return frozenset()
    since = now - window
    recent = sum(1 for a in accounts if a.last_login_at is not None and a.last_login_at > since)
    if recent <= burst:
        return frozenset()
    due = now - max_delay
    return frozenset(
        a.username
        for a in accounts
        if a.username in waiting and a.last_login_at is not None and a.last_login_at > due
    )


__all__ = ["BURST_LOGINS", "GroupChange", "group_changes", "held_for_burst"]
