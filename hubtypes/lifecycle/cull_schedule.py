"""Whether a sweep needs to list the hub's users at all. Pure: no I/O.

Listing every running server is the whole hub cost of a sweep that culls nothing (the
hub serialises every model). A listing can be skipped when nothing *can* be due yet,
because everything the decisions read only moves one way:

- a server's ``last_activity`` only grows, and its ``started`` is fixed while it runs
  (JupyterHub sets both to the spawn's start, ``jupyterhub/user.py`` ``User.spawn``);
- a user's ``last_activity`` only grows (``User.stop`` sets it to the stop's time);
- a server or user the last listing did not see (started, created or logged in since)
  started at or after that listing, so it is not due before the listing's time plus the
  shortest idle timeout or max age any policy or override has (:func:`shortest_time`).

So the decisions over the last listing, taken again at ``now`` with the policies as they
are now (hubtypes' database is read again: a workshop's lock moved earlier counts), are
an upper bound on what a fresh listing could make due. Every error errs late, never
early: a server the listing missed (offset paging while users stop) is culled at the
bound, not before its time. The last sweep with errors, or actions that did not finish
(a dry run's), always lists again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hubtypes.lifecycle.culling import (
    CullConfig,
    CullUser,
    decide_server,
    decide_user,
    policy_for,
)
from hubtypes.storage.hub_types import Resolution


@dataclass(frozen=True)
class Listing:
    """What the last full sweep left running: users with the servers it kept."""

    at: datetime  # when the listing began
    users: tuple[CullUser, ...]


def shortest_time(config: CullConfig, kinds: set[str]) -> float:
    """The shortest idle timeout or max age (seconds) any policy of ``kinds`` or any
    override has: no server the last listing did not see can be due sooner after it."""
    times = [
        t
        for kind, p in config.policies.items()
        if kind in kinds
        for t in (p.idle_timeout, p.max_age)
        if t > 0
    ]
    for table in (config.by_workshop, config.by_group, config.by_profile):
        for changes in table.values():
            times += [float(changes[k]) for k in ("idle_timeout", "max_age") if changes.get(k)]
    return min(times)


def after_sweep(
    users: list[CullUser], culled: Mapping[str, set[str]], deleted: set[str], at: datetime,
    now: datetime,
) -> Listing:  # fmt: skip
    """The listing a sweep that began ``at`` leaves: the servers it culled gone, the users it
    deleted gone, and a user whose servers it stopped active at ``now`` (a stop sets the
    user's activity)."""
    kept = []
    for u in users:
        if u.name in deleted:
            continue
        gone = culled.get(u.name, set())
        if gone:
            u = replace(u, servers=tuple(s for s in u.servers if s.name not in gone),
                        last_activity=now)  # fmt: skip
        kept.append(u)
    return Listing(at=at, users=tuple(kept))


def why_list(
    config: CullConfig,
    listing: Listing | None,
    resolutions: Mapping[str, Resolution],
    kinds: set[str],
    now: datetime,
) -> str | None:
    """Why this sweep must list the hub's users, or None when nothing can be due yet.

    ``resolutions``: each of the listing's users as resolved now (hubtypes' database).
    """
    if listing is None:
        return "no clean listing to go by"
    if now >= next_listing_by(listing, config, kinds):
        return "servers started since the last listing may be due"
    for u in listing.users:
        res = resolutions.get(u.name)
        if res is None:
            return f"{u.name} has no resolution"
        kept = 0
        for s in u.servers:
            if not s.ready or s.pending:  # it may be ready by now: as of its start
                s = replace(s, ready=True, pending=None)
            d = decide_server(policy_for(config, res, u.groups, s.profile), s, now,
                              locks_at=res.locks_at)  # fmt: skip
            if d.culls:
                return f"{u.name}'s server may be due"
            kept += 1
        ud = decide_user(policy_for(config, res, u.groups), res, u, now,
                         still_running=kept, culled_now=False)  # fmt: skip
        if ud.delete:
            return f"{u.name} may be deleted"
    return None


def next_listing_by(listing: Listing, config: CullConfig, kinds: set[str]) -> datetime:
    """The latest time the next listing happens, whatever the last one saw."""
    return listing.at + timedelta(seconds=shortest_time(config, kinds))


__all__ = ["Listing", "after_sweep", "next_listing_by", "shortest_time", "why_list"]
