"""Workshop group membership, written by the service in bulk, not by the hub at each login.

A participant's login carries no groups (the authenticator returns ``groups: None``, so the
hub runs no ``sync_groups``: that group query and extra commit per login cost a quarter of
the login throughput). Instead, every ``group_sync_interval`` seconds, and at once when
accounts are created, a pass reads hubtypes' accounts (the one source of truth), works out
who is missing from each workshop group (:func:`~hubtypes.lifecycle.memberships.group_changes`)
and adds them with one ``POST /groups/{name}/users`` per group (per 250 names, for a
backlog). Nothing is sent when nothing changed, so an idle pass costs the hub nothing.
During a login burst an addition waits until the burst is over or its login is
``burst_delay`` seconds old (:func:`~hubtypes.lifecycle.memberships.held_for_burst`): the
hub would do it on the event loop that is logging people in.

Membership as the hub shows it is read back from each group once at start and again every
``reconcile_interval`` seconds, so a participant an admin removed by hand is added again.
Nobody is removed (see :mod:`hubtypes.lifecycle.memberships` for why).

Nothing that decides access or storage reads these groups: the reset plan, the spawner and
the culler use hubtypes' accounts. The groups are for people (the admin panel) and RBAC
filters an operator writes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hubtypes.db.queries.accounts import workshop_accounts
from hubtypes.hub.client import HubAPIError, quote_name
from hubtypes.lifecycle.memberships import GroupChange, group_changes, held_for_burst
from hubtypes.records import AccountView
from hubtypes.services.workshop.operations import Operations

log = logging.getLogger("hubtypes.services.workshop")
BATCH = 250  # names per POST: a pass during a login burst adds far fewer


@dataclass
class GroupSync:
    """Keeps the workshops' hub groups in line with hubtypes' accounts."""

    ops: Operations
    interval: float = 2.0
    reconcile_interval: float = 60.0
    # how long after a login its account is added: the hub creates the user in the same
    # request, after the authenticator answered; in a 1,000-login burst, up to a second or
    # two later (the 400s seen with no wait)
    settle: float = 2.0
    # the longest a login burst holds back additions (0: add during bursts too)
    burst_delay: float = 30.0
    known: dict[str, set[str]] = field(default_factory=dict)  # group -> members the hub has
    added: int = 0  # members added since start (for the log and tests)
    _last_reconcile: float | None = None
    # names the hub did not have, with how often and the login time then: skipped after
    # twice (a hub user that was only a moment late is there the next pass) until the
    # account logs in again, so a hub that lost many users costs one round of checks
    _absent: dict[str, tuple[int, Any]] = field(default_factory=dict)
    _held: bool = False  # additions are waiting for a burst to end (logged once a burst)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def poke(self) -> None:
        """Run a pass now (e.g. accounts were just created) instead of at the next tick."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Passes every `interval` seconds (sooner when poked) until ``stop``."""
        while not stop.is_set():
            try:
                await self.sync()
            except Exception as e:  # the hub restarting, say: try again next tick
                log.warning(f"Workshop group sync failed, trying again in {self.interval:g} s: {e}")
            waits = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
            try:
                await asyncio.wait(waits, timeout=self.interval, return_when="FIRST_COMPLETED")
            finally:
                for w in waits:
                    w.cancel()
            self._wake.clear()

    async def sync(self, *, reconcile: bool | None = None) -> dict[str, GroupChange]:
        """One pass; returns the changes it made, by group.

        ``reconcile`` (default: when `reconcile_interval` has passed) reads every group back
        from the hub first.
        """
        async with self._lock:
            now = time.monotonic()
            if reconcile is None:
                last = self._last_reconcile
                reconcile = last is None or now - last >= self.reconcile_interval
            if reconcile:
                self._last_reconcile = now
                self._absent.clear()

            accounts = await self.ops.tx(workshop_accounts)
            # forget names whose account is gone: a name deleted and created again must be
            # added again (the hub dropped it from its groups when it deleted the user)
            have_account = {a.username for a in accounts}
            for group in self.known:
                self.known[group] &= have_account
            everyone = group_changes(accounts, self.ops.groups, {})  # who belongs where
            fresh = [g for g, c in everyone.items() if c.add and (reconcile or g not in self.known)]
            for group in fresh:
                await self._read(group, everyone[group].workshop)
            logins = {a.username: a.last_login_at for a in accounts}
            for name, (_, seen) in list(self._absent.items()):
                if logins.get(name, seen) != seen or name not in logins:
                    del self._absent[name]  # logged in again (or gone): try again
            skip = {n for n, (times, _) in self._absent.items() if times >= 2}
            accounts = [a for a in accounts if a.username not in skip]
            # logins of the last `settle` seconds wait a pass: their hub users may not exist
            at = self.ops.clock()
            settled = at - timedelta(seconds=self.settle)
            changes = group_changes(accounts, self.ops.groups, self.known, settled_before=settled)
            held = self._held_for_burst(accounts, changes, at)
            done: dict[str, GroupChange] = {}
            for group, change in changes.items():
                adding = tuple(n for n in change.add if n not in held)
                added: tuple[str, ...] = ()
                # the hub looks each name up on its event loop: a backlog (a service
                # restarted after a burst) goes in a few requests, none of them long
                for i in range(0, len(adding), BATCH):
                    added += await self._add(group, adding[i : i + BATCH], logins)
                if added:
                    done[group] = GroupChange(change.workshop, added)
            return done

    def _held_for_burst(
        self, accounts: list[AccountView], changes: dict[str, GroupChange], at: datetime
    ) -> frozenset[str]:
        held = held_for_burst(
            accounts,
            changes,
            at,
            window=timedelta(seconds=self.settle),
            max_delay=timedelta(seconds=self.burst_delay),
        )
        if held and not self._held:
            log.info(
                "Login burst: workshop group additions wait until it is over "
                f"(each at most {self.burst_delay:g} s)"
            )
        self._held = bool(held)
        return held

    async def _read(self, group: str, slug: str) -> None:
        """What the hub has in ``group`` (creating the workshop's groups if missing)."""
        model = await self.ops.hub.group(group)
        if model is None:
            await self.ops.sync_group(slug)  # both groups, with their properties
            model = await self.ops.hub.ensure_group(group)  # a group deleted by hand
        self.known[group] = set(model.get("users") or ())

    async def _add(
        self, group: str, names: tuple[str, ...], logins: dict[str, Any]
    ) -> tuple[str, ...]:
        """Add ``names`` to ``group`` in one request; returns those added.

        The hub refuses the whole request (400 "No such user: NAME") if one name is not a hub
        user: a login whose account row is written but whose hub user is not yet (the hub
        creates it just after the authenticator returns), or a user the hub lost. That name
        is left out and the request made again; after a few such answers every name is
        checked at once instead. The hub's answer (the group's model) becomes `known`.
        """
        path = f"/groups/{quote_name(group)}/users"
        pending = list(names)
        refusals = 0
        while pending:
            resp = await self.ops.hub.request("POST", path, {"users": pending}, ok=(400, 404))
            if resp.status == 404:  # the group went away: read (and make) it again next pass
                self.known.pop(group, None)
                return ()
            if resp.status != 400:
                log.info(f"Workshop group {group}: added {len(pending)} member(s)")
                self.added += len(pending)
                self.known[group] = set(resp.json().get("users") or ()) | set(pending)
                for name in pending:
                    self._absent.pop(name, None)
                return tuple(pending)
            refusals += 1
            missing = _missing_user(resp.json())
            if missing in pending and refusals <= 3:
                absent = [missing]
            else:  # many missing, or an answer we do not know: check each name
                found = await self.ops.hub.map(self.ops.hub.user, pending)
                absent = [n for n, f in zip(pending, found, strict=True) if f is None]
                if not absent:
                    raise HubAPIError("POST", path, 400, str(resp.json()))
            for name in absent:
                times, _ = self._absent.get(name, (0, None))
                self._absent[name] = (times + 1, logins.get(name))
            pending = [n for n in pending if n not in absent]
        return ()


def _missing_user(answer: Any) -> str | None:
    """The name in the hub's "No such user: NAME" (jupyterhub/apihandlers/groups.py
    ``_usernames_to_users``, the same in 5.5.1 and 6.1.1), or None."""
    message = str(answer.get("message", "")) if isinstance(answer, dict) else ""
    prefix = "No such user: "
    return message[len(prefix) :] if message.startswith(prefix) else None


__all__ = ["GroupSync"]
