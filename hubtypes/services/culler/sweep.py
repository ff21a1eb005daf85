"""One culling sweep: list users with servers, decide (pure), act concurrently, report.

Why it is shaped like this (compared with jupyterhub-idle-culler 2.0, whose
``cull_idle`` builds one coroutine per user and then awaits them one after the other,
so N slow stops cost N times a stop):

- users are handled concurrently, with two separate bounds: ``concurrency`` hub requests
  in flight (listing, polls, user deletions, kernel checks) and ``stop_concurrency``
  servers being stopped. A stop holds its stop slot until the server is gone (the hub
  holds a stop request until the spawner is done, up to 10 s, then answers 202 and the
  sweep follows it with :func:`stop_servers_and_wait`), never a request slot, so slow
  stops run side by side instead of in waves of ``concurrency``, and their users can be
  deleted in the same sweep;
- each user's hub type is resolved from hubtypes' database the way the spawner does it
  (:func:`hubtypes.storage.hub_types.resolve`), in one query per page of users;
- a failing user (5xx, a timeout, the hub going away) is logged and counted, and the
  sweep goes on; a server or user someone else stopped or deleted first is noted
  "already gone", not an error; sweeps never overlap;
- a server that does not answer the kernel question is kept one sweep
  (:func:`~hubtypes.lifecycle.culling.unanswered`);
- ``dry_run`` decides and reports everything and changes nothing.

The hub's ``last_activity`` of a server is the later of the proxy's last route activity
(polled every ``c.JupyterHub.last_activity_interval``) and the single-user server's own
activity reports; kernels that compute without output update neither, hence the optional
busy-kernel check through the server's API.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from hubtypes.clock import Clock
from hubtypes.hub.client import HubAPIError
from hubtypes.hub.servers import stop_servers_and_wait
from hubtypes.lifecycle.culling import (
    CullConfig,
    CullUser,
    ServerDecision,
    decide_server,
    decide_user,
    kind_of,
    may_delete_users,
    needs_busy_check,
    parse_time,
    policy_for,
    possible_kinds,
    unanswered,
)
from hubtypes.lifecycle.usage import Seen, UsageEntry, usage_entries
from hubtypes.records import AccountView, running_servers
from hubtypes.services.culler.hubclient import CountingHubAPI
from hubtypes.services.culler.metrics import CullerMetrics
from hubtypes.services.culler.quiet import QuietSweeps
from hubtypes.services.culler.report import Action, Due, SweepReport
from hubtypes.storage.hub_types import Resolution, ResolverConfig, resolve

log = logging.getLogger("hubtypes.culler")

Lookup = Callable[[list[str]], Awaitable[Mapping[str, AccountView]]]
# writes one sweep's usage entries and returns the recent daily rows (hubtypes' database)
RecordUsage = Callable[[list[UsageEntry], datetime], Awaitable[list[dict[str, Any]]]]


class Sweeper:
    def __init__(
        self,
        hub: CountingHubAPI,
        config: CullConfig,
        resolver: ResolverConfig,
        lookup: Lookup,
        *,
        clock: Clock,
        metrics: CullerMetrics,
        stop_concurrency: int = 64,
        page_size: int = 200,
        stop_timeout: float = 300.0,
        dry_run: bool = False,
        server_api: CountingHubAPI | None = None,  # the proxy, for busy-kernel checks (None: off)
        record_usage: RecordUsage | None = None,
        usage_max_gap: float = 600.0,
        skip_quiet: bool = True,
    ) -> None:
        self.hub = hub
        self.config = config
        self.resolver = resolver
        self.lookup = lookup
        self.clock = clock
        self.metrics = metrics
        self.stop_concurrency = stop_concurrency
        self.page_size = page_size
        self.stop_timeout = stop_timeout
        self.dry_run = dry_run
        self.server_api = server_api
        self.record_usage = record_usage
        self.usage_max_gap = usage_max_gap
        self.usage: list[dict[str, Any]] = []  # recent daily usage, for the status page
        self._usage_at: datetime | None = None
        self.last: SweepReport | None = None
        # whether a sweep may skip the listing (nothing can be due since the last one)
        self.quiet = QuietSweeps(config, self._kinds(), self._resolve, metrics, clock,
                                 enabled=skip_quiet)  # fmt: skip
        if skip_quiet:  # usage is sampled at listings: they may be further apart
            self.usage_max_gap += self.quiet.longest_gap()
        self._lock = asyncio.Lock()
        # servers whose kernel question went unanswered, in the last sweep and this one
        self._unanswered: set[tuple[str, str]] = set()
        self._unanswered_now: set[tuple[str, str]] = set()

    # --- listing ---------------------------------------------------------------------

    async def _list(self) -> list[dict[str, Any]]:
        users: dict[str, dict[str, Any]] = {}
        kinds = self._kinds()
        # "active" (ready or pending): a server pending now is seen with its start time
        states = ["active"] + (["inactive"] if may_delete_users(self.config, kinds) else [])
        for state in states:
            async for model in self.hub.paginate("/users", {"state": state}, limit=self.page_size):
                users[model["name"]] = model
        return list(users.values())

    async def _resolve(self, names: list[str], now: datetime) -> dict[str, Resolution]:
        accounts = await self.lookup(names)
        return {
            n: resolve(self.resolver, n, accounts.get(n), now, check_access=False) for n in names
        }

    # --- the sweep -------------------------------------------------------------------

    async def sweep(self) -> SweepReport | None:
        if self._lock.locked():
            log.info("A sweep is still running; skipping this one")
            return None
        async with self._lock:
            if await self.quiet.nothing_due():
                return None
            self._unanswered_now = set()
            try:
                return await self._sweep()
            finally:
                self._unanswered = self._unanswered_now

    def _kinds(self) -> set[str]:
        return possible_kinds(self.resolver.default_type, self.resolver.unassigned)

    async def _sweep(self) -> SweepReport:
        start = time.monotonic()
        requests_before = getattr(self.hub, "requests", 0)
        now = self.clock()
        report = SweepReport(started=now, dry_run=self.dry_run)
        try:
            models = await self._list()
            report.users_seen = len(models)
            resolutions = await self._resolve([m["name"] for m in models], now)
            users = [CullUser.from_model(m) for m in models]
            running: Counter[str] = Counter()
            for u in users:
                running[kind_of(resolutions[u.name])] += len(running_servers(models_by(u)))
            report.running = dict(running)
            await self._count_usage(models, resolutions, now, report)

            # every user at once: the hub client bounds the requests in flight and
            # `stops` the servers being stopped (a user waits for a slot, not a turn)
            stops = asyncio.Semaphore(self.stop_concurrency)
            results = await asyncio.gather(
                *(self._handle(u, resolutions[u.name], now, report, stops) for u in users),
                return_exceptions=True,
            )
            for u, result in zip(users, results, strict=True):
                if isinstance(result, BaseException):  # a bug, not the hub: say so, go on
                    report.errors.append(f"{u.name}: {result!r}")
                    log.error(f"Could not cull {u.name}: {result!r}")
        except Exception as e:
            self.quiet.forget()
            self.metrics.sweeps.labels("failed").inc()
            report.errors.append(f"listing users: {e}")
            raise
        finally:
            report.duration = time.monotonic() - start
            report.hub_requests = getattr(self.hub, "requests", 0) - requests_before
            self.last = report
            self.metrics.sweep_duration.observe(report.duration)
            self.metrics.last_sweep.set(time.time())
            for kind, n in report.running.items():
                self.metrics.running.labels(kind).set(n)
        self.metrics.sweeps.labels("ok" if not report.errors else "errors").inc()
        self.quiet.remember(users, report, now, dry_run=self.dry_run)
        # what was done (a dry run: what would have been), not what was tried and failed
        done = [a for a in report.actions if a.done or self.dry_run]
        culled = sum(1 for a in done if a.action != "delete-user")
        deleted = sum(1 for a in done if a.action == "delete-user")
        verb = "would cull" if self.dry_run else "culled"
        log.info(
            f"Sweep{' (dry run)' if self.dry_run else ''}: {report.users_seen} users, {verb} "
            f"{culled} servers and {deleted} users, {report.spared_busy} spared as busy, "
            f"{len(report.errors)} errors, in {report.duration:.2f} s "
            f"({report.hub_requests} hub requests)"
        )
        return report

    async def _count_usage(
        self,
        models: list[dict[str, Any]],
        resolutions: Mapping[str, Resolution],
        now: datetime,
        report: SweepReport,
    ) -> None:
        """Record who was active and how many server hours ran, before anyone is deleted."""
        if self.record_usage is None:
            return
        seen = [
            Seen(
                name=m["name"],
                hub_type=resolutions[m["name"]].hub_type.value,
                workshop=(w.slug if (w := resolutions[m["name"]].workshop) else ""),
                running=len(running_servers(m)),
                last_activity=parse_time(m.get("last_activity")),
            )
            for m in models
        ]
        entries = usage_entries(seen, now=now, since=self._usage_at, max_gap=self.usage_max_gap)
        try:
            self.usage = await self.record_usage(entries, now)
            self._usage_at = now
        except Exception as e:  # counting must never stop culling
            report.errors.append(f"usage counts: {e}")
            log.warning(f"Could not record usage counts: {e}")
            return
        today = now.date().isoformat()
        for row in self.usage:
            if row["day"] == today:
                labels = (row["hub_type"], row["workshop"])
                self.metrics.active_users.labels(*labels).set(row["active_users"])
                self.metrics.server_hours.labels(*labels).set(row["server_hours"])

    async def _handle(
        self, u: CullUser, res: Resolution, now: datetime, r: SweepReport,
        stops: asyncio.Semaphore,
    ) -> None:  # fmt: skip
        kind = kind_of(res)
        try:
            decisions: list[ServerDecision] = []
            for s in u.servers:
                policy = policy_for(self.config, res, u.groups, s.profile)
                d = decide_server(policy, s, now, locks_at=res.locks_at)
                if self.server_api is not None and needs_busy_check(d) and s.url:
                    busy, why = await self._busy(s.url)
                    if busy:
                        d = decide_server(policy, s, now, busy=True, locks_at=res.locks_at)
                        r.spared_busy += 1
                        self.metrics.servers_spared_busy.labels(kind).inc()
                    elif busy is None:
                        key = (u.name, s.name)
                        self._unanswered_now.add(key)
                        d = unanswered(d, unanswered_before=key in self._unanswered)
                        then = "kept until the next sweep" if not d.culls else "using activity"
                        name = f"{u.name}/{s.name}" if s.name else u.name
                        log.info(f"Server {name} did not answer about its kernels ({why}): {then}")
                decisions.append(d)
            cull = [d for d in decisions if d.culls]
            for d in decisions:
                if not d.culls and d.reason in ("active", "busy", "unanswered"):
                    r.due.append(Due(u.name, d.server, kind, d.reason, d.due_in))
            actions = [
                Action(u.name, d.server, kind, d.action, d.reason, d.idle_for, d.age) for d in cull
            ]
            for a in actions:
                log.info(
                    f"{'Would cull' if self.dry_run else 'Culling'} server {a.label} ({kind}, "
                    f"{a.reason}{a.times()}){' and remove it' if a.action == 'remove' else ''}"
                )
            r.actions.extend(actions)
            if cull and not self.dry_run:
                async with stops:  # held until the servers are gone
                    statuses = await self._stop(u, cull)
                for a, status in zip(actions, statuses, strict=True):
                    if status in (400, 404):  # the user, or someone else, was faster
                        a.note = "already gone" if status == 404 else "already stopped"
                        log.info(f"Server {a.label} was {a.note}")
                        continue
                    a.done = True
                    self.metrics.servers_culled.labels(kind, a.reason).inc()
            # the user: servers kept, plus any not ready (pending) ones, still run
            kept = sum(1 for d in decisions if not d.culls)
            policy = policy_for(self.config, res, u.groups)
            ud = decide_user(policy, res, u, now, still_running=kept, culled_now=bool(cull))
            if ud.delete:
                delete = Action(u.name, "", kind, "delete-user", ud.reason)
                r.actions.append(delete)
                log.info(f"{'Would delete' if self.dry_run else 'Deleting'} user {u.name} "
                         f"({kind}, {ud.reason})")  # fmt: skip
                if not self.dry_run:
                    if await self.hub.delete_user(u.name):
                        delete.done = True
                        self.metrics.users_deleted.labels(kind, ud.reason).inc()
                    else:  # deleted by someone else during the sweep
                        delete.note = "already gone"
                        log.info(f"User {u.name} was already gone")
        except (HubAPIError, TimeoutError, OSError) as e:
            r.errors.append(f"{u.name}: {e}")
            self.metrics.errors.labels(kind).inc()
            log.warning(f"Could not cull {u.name} ({kind}): {e}; the next sweep tries again")

    async def _stop(self, u: CullUser, cull: list[ServerDecision]) -> list[int]:
        """Stop (or remove) the culled servers and follow slow stops until they are gone.

        A 204 means stopped: no need to ask again (one request per server, as few as
        jupyterhub-idle-culler makes). A 202 (the spawner is still stopping) is followed
        until the server is gone, so the user can be deleted in this same sweep. Returns
        the hub's answers (400: not running, 404: no such user or server, any more).
        """
        names = [d.server for d in cull]
        # a user's servers stop side by side too (remove: stop and forget in one request)
        statuses = await asyncio.gather(
            *(self.hub.stop_server(u.name, d.server, remove=d.action == "remove") for d in cull)
        )
        if all(status != 202 for status in statuses):
            return statuses
        running = {s.name for s in u.servers if s.ready or s.pending}
        if running <= set(names):
            # every server of theirs goes: the shared stop-and-wait (nothing to ask again)
            await stop_servers_and_wait(self.hub, u.name, [], timeout=self.stop_timeout)
        else:
            await self._wait_gone(u.name, set(names))
        return statuses

    async def _wait_gone(self, name: str, servers: set[str]) -> None:
        deadline = time.monotonic() + self.stop_timeout
        delay = 0.1
        while True:
            model = await self.hub.user(name)
            if model is None or not servers & set(running_servers(model)):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}'s servers did not stop in {self.stop_timeout:.0f}s")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    async def _busy(self, server_url: str) -> tuple[bool | None, str]:
        """Whether the server's own API reports a busy kernel (None: it did not answer),
        and why not."""
        assert self.server_api is not None
        try:
            kernels = await self.server_api.get(server_url.rstrip("/") + "/api/kernels")
        except Exception as e:  # kept this sweep; unanswered twice, the activity decides
            return None, (f"HTTP {e.status}" if isinstance(e, HubAPIError) else repr(e))
        if not isinstance(kernels, list):
            return None, "not a list of kernels"
        busy = any(isinstance(k, dict) and k.get("execution_state") == "busy" for k in kernels)
        return busy, ""


def models_by(u: CullUser) -> dict[str, Any]:
    return {"servers": {s.name: {"ready": s.ready, "pending": s.pending} for s in u.servers}}
