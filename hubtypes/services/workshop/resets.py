"""Resets, locks and the periodic lifecycle task: the destructive half of the service.

A reset is persisted (plan and progress) before anything is deleted and is
idempotent step by step, so one interrupted by a crash finishes on restart to
the same end state, and a reset of a finished workshop is a no-op:

1. disable the planned accounts (no new logins from here on);
2. stop every running server of the planned users, named ones too, at bounded
   concurrency, and wait until they are stopped;
3. delete the hub users through the REST API (the hub calls the authenticator's
   ``delete_user``, removing the account and code, and the spawner's
   ``delete_forever``, removing storage); accounts that never logged in have no
   hub user and are deleted from hubtypes' database directly;
4. optionally remove the workshop's materials and shared folders (local storage);
5. mark the workshop purged in its hub group's properties; audit every step.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hubtypes.db.queries.accounts import (
    delete_account,
    disable_accounts,
    existing_usernames,
    list_accounts,
    workshop_accounts,
)
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.locks import add_lock_marks, lock_marks, remove_lock_marks
from hubtypes.db.queries.resets import (
    DONE,
    RUNNING,
    finish_reset,
    get_reset,
    latest_reset,
    lock_for_reset,
    purged_workshops,
    reset_json,
    running_conflict,
    running_reset,
    running_resets,
    set_progress,
    start_reset,
)
from hubtypes.db.queries.workshops import all_workshops, require_workshop
from hubtypes.errors import Conflict, InputError
from hubtypes.hub.client import HubAPIError
from hubtypes.hub.servers import paced_map, stop_many_and_wait, stop_servers_and_wait
from hubtypes.lifecycle.reset_plan import ResetOptions, ResetPlan, plan_reset, workshop_folders
from hubtypes.lifecycle.workshops import workshop_actions
from hubtypes.records import WORKSHOP_PURGED, HubUser, running_servers
from hubtypes.services.workshop.authz import Action, Identity
from hubtypes.services.workshop.operations import Operations

log = logging.getLogger("hubtypes.services.workshop")


@dataclass
class Resets:
    """Runs resets (from the API, the pages or the lifecycle pass) and locks accounts."""

    ops: Operations
    concurrency: int = 8
    stop_concurrency: int = 64
    stop_timeout: float = 120.0
    storage_root: str = ""
    purge_includes_instructors: bool = False
    delete_concurrency: int = 32
    delete_target: float = 1.0  # seconds the hub may take to answer a trivial request
    tasks: dict[int, asyncio.Task] = field(default_factory=dict)
    # more passes run after each lifecycle pass (the grants'); each returns its actions
    extra_passes: list[Callable[[], Awaitable[dict[str, Any]]]] = field(default_factory=list)

    # --- plans ------------------------------------------------------------------------

    async def hub_users(self) -> dict[str, dict[str, Any]]:
        """All the hub's user models: the plan needs admin flags and groups."""
        return {u["name"]: u async for u in self.ops.hub.paginate("/users")}

    async def plan(self, slug: str, options: ResetOptions) -> ResetPlan:
        accounts = await self.ops.tx(list_accounts, slug)
        models = await self.hub_users()
        members, _ = self.ops.groups.of(slug)
        return plan_reset(
            slug,
            accounts,
            [HubUser.from_model(m) for m in models.values()],
            options,
            group=members,
        )

    async def preview(self, who: Identity, slug: str, options: ResetOptions) -> ResetPlan:
        await self.ops.authorize(who, Action.reset, slug)
        await self.ops.tx(require_workshop, slug)
        return await self.plan(slug, options)

    # --- starting and resuming ----------------------------------------------------------

    async def start(
        self,
        who: Identity | None,
        slug: str,
        options: ResetOptions,
        *,
        confirm: str | None,
        digest: str | None = None,
    ) -> dict[str, Any]:
        """Start (or join) the reset of ``slug``; ``who`` None is the lifecycle task.

        ``digest``: the previewed plan's (:meth:`ResetPlan.digest`); when given, a plan
        that differs from it is refused (409) and nothing is done.
        """
        actor = who.name if who else "lifecycle"
        if who is not None:
            await self.ops.authorize(who, Action.reset, slug)
            if confirm != slug:
                raise InputError("confirm", f"type the workshop's slug ({slug}) to confirm")
        await self.ops.tx(require_workshop, slug)
        running = await self.ops.tx(running_reset_json, slug)
        if running is not None:  # checked again under the lock below; this spares the hub
            self.resume(running["id"])  # a restart may not have picked it up yet
            raise Conflict("workshop", running["conflict"])
        models = await self.hub_users()
        users = [HubUser.from_model(m) for m in models.values()]
        members, _ = self.ops.groups.of(slug)
        now = self.ops.clock()

        def persist(session: Any) -> tuple[int | None, ResetPlan]:
            # the workshop row is locked from here to the commit: no account can be added
            # behind the plan, and a second start waits, then sees this one running (409)
            before = lock_for_reset(session, slug)
            plan = plan_reset(slug, list_accounts(session, slug), users, options, group=members)
            if digest is not None and digest != plan.digest():
                # rolls the transaction back: nothing is done
                raise Conflict(
                    "digest", "the reset's plan is not the one previewed; preview it again"
                )
            if plan.empty and before == WORKSHOP_PURGED:
                return None, plan  # a purged workshop with nothing left: nothing to do
            disable_accounts(session, plan.usernames)
            return start_reset(session, slug, plan.to_json(), actor=actor, now=now), plan

        reset_id, plan = await self.ops.tx(persist)
        if reset_id is None:
            latest = await self.ops.tx(latest_reset, slug)
            return (reset_json(latest) if latest else {"workshop": slug}) | {"noop": True}
        log.info(f"Reset {reset_id} of workshop {slug!r} started by {actor}: {plan.counts()}")
        await self.ops.sync_group(slug)  # the group shows it resetting at once
        self.resume(reset_id)
        reset = await self.ops.tx(get_reset, reset_id)
        assert reset is not None
        return reset_json(reset) | {"noop": False}

    def resume(self, reset_id: int) -> asyncio.Task:
        task = self.tasks.get(reset_id)
        if task is None or task.done():
            task = self.tasks[reset_id] = asyncio.create_task(self.execute(reset_id))
        return task

    async def resume_all(self) -> None:
        for reset in await self.ops.tx(running_resets):
            log.info(f"Resuming reset {reset.id} of workshop {reset.workshop!r}")
            self.resume(reset.id)

    # --- execution ----------------------------------------------------------------------

    async def execute(self, reset_id: int) -> None:
        reset = await self.ops.tx(get_reset, reset_id)
        if reset is None or reset.state != RUNNING:
            return
        slug, plan, actor = reset.workshop, dict(reset.plan), reset.actor
        names = [u["name"] for u in plan.get("delete", [])]
        progress = {"total": len(names), "stopped": 0, "deleted": 0, "servers": 0}
        last_write = 0.0

        async def report(force: bool = False) -> None:
            nonlocal last_write
            if force or time.monotonic() - last_write > 0.25:
                last_write = time.monotonic()
                await self.ops.tx(set_progress, reset_id, dict(progress))

        try:
            await self.ops.tx(disable_accounts, names)  # again: resuming is idempotent
            present = await self.ops.hub.users_named(names)  # none for no names
            progress["deleted"] = len(names) - len(
                set(present) | await self.ops.tx(existing_usernames, names)
            )
            running = {n: running_servers(m) for n, m in present.items() if running_servers(m)}
            progress["servers"] = sum(len(s) for s in running.values())
            await report(force=True)

            async def stopped(name: str) -> None:
                progress["stopped"] += len(running[name])
                await report()

            async def remove(name: str) -> None:
                await self.ops.hub.delete_user(name)
                progress["deleted"] += 1
                await report()

            async def stop_then_remove() -> None:
                # the spawner stops these at once (now=True: the mixin sees the account is
                # being reset), so stopping is brief: many at once
                await stop_many_and_wait(
                    self.ops.hub, running, timeout=self.stop_timeout,
                    limit=self.stop_concurrency, on_stopped=stopped,
                )  # fmt: skip
                await self.audit(actor, "reset.servers-stopped", slug, {"count": len(running)})
                _raise_first(await self.paced(remove, sorted(running)))

            # users without servers are deleted while the others' servers stop; deletions
            # are paced so that the hub answers each within a second (its loop stays free)
            hub_names = sorted(present)
            idle = [n for n in hub_names if n not in running]
            results = await asyncio.gather(
                stop_then_remove(),
                self.paced(remove, idle),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
                if isinstance(result, list):
                    _raise_first(result)
            # accounts whose owner never logged in (or that the hub left behind)
            left = sorted(await self.ops.tx(existing_usernames, names))
            await self.ops.tx(_delete_accounts, left, actor=f"reset:{actor}", now=self.ops.clock())
            progress["deleted"] = len(names)
            await self.audit(
                actor,
                "reset.users-deleted",
                slug,
                {"hub_users": len(hub_names), "accounts_only": len(left)},
            )
            await self.remove_folders(plan.get("storage_removed", []), slug, actor)
            await self.ops.tx(
                finish_reset,
                reset_id,
                state=DONE,
                now=self.ops.clock(),
                progress=progress,
            )
            await self.ops.sync_group(slug)
            log.info(f"Reset {reset_id} of workshop {slug!r} done: {progress}")
        except asyncio.CancelledError:
            raise
        except Exception as e:  # recorded; the next start or a restart resumes it
            log.exception(f"Reset {reset_id} of workshop {slug!r} stopped: {e}")
            await self.ops.tx(set_progress, reset_id, dict(progress, error=1))
            await self.audit(actor, "reset.error", slug, {"error": str(e)[:500]})

    async def paced(self, fn: Any, names: list[str]) -> list[Any]:
        """``fn`` over ``names``, as many at once (up to `delete_concurrency`) as keep the
        hub answering ``GET /hub/api/`` within `delete_target` seconds."""

        async def probe() -> None:
            await self.ops.hub.request("GET", "/")

        return await paced_map(
            fn, names, limit=self.delete_concurrency, probe=probe, target=self.delete_target
        )

    async def stop_all(self, name: str, servers: Iterable[str]) -> None:
        """Stop the given servers of ``name`` and wait until none runs or is pending."""
        await stop_servers_and_wait(self.ops.hub, name, servers, timeout=self.stop_timeout)

    async def remove_folders(self, subpaths: list[str], slug: str, actor: str) -> None:
        extra = workshop_folders(slug, subpaths)
        if not extra:
            return
        if not self.storage_root:
            await self.audit(actor, "reset.folders-kept", slug, {"reason": "no storage_root"})
            return
        from hubtypes.fs.safe_delete import safe_delete
        from hubtypes.fs.work import storage_work

        for sub in extra:  # in the storage pool: the service's database calls never wait
            key = ("folder", self.storage_root, sub)
            report = await storage_work().run(key, safe_delete, self.storage_root, sub)
            await self.audit(actor, "reset.folder-removed", slug, {"path": sub, **_report(report)})

    async def audit(self, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
        """Record a step in the audit log, and say it in the service's log."""
        log.info(f"Workshop {target!r}: {action} ({actor}) {details}")
        now = self.ops.clock()
        await self.ops.tx(
            audit, actor=actor, action=action, target=target, now=now, details=details
        )

    # --- locks and the periodic task ------------------------------------------------------

    async def lock(self, usernames: list[str]) -> None:
        """Stop every server of these users and delete their tokens; remember and audit it."""
        present = await self.ops.hub.users_named(usernames)

        async def one(name: str) -> None:
            await self.stop_all(name, running_servers(present[name]))
            for token in await self.ops.hub.tokens(name):
                await self.ops.hub.delete_token(name, str(token["id"]))

        _raise_first(await self.ops.hub.map(one, sorted(present), limit=self.concurrency))
        by_workshop: dict[str, list[str]] = {}
        accounts = {a.username: a for a in await self.ops.tx(workshop_accounts)}
        for name in usernames:
            account = accounts.get(name)
            slug = account.workshop.slug if account and account.workshop else ""
            by_workshop.setdefault(slug, []).append(name)
        now = self.ops.clock()
        for slug, names in by_workshop.items():
            await self.ops.tx(add_lock_marks, slug, names, actor="lifecycle", now=now)
            log.info(
                f"Workshop {slug!r}: locked {len(names)} account(s) at their lock time "
                f"(servers stopped, tokens deleted): {', '.join(names)}"
            )

    async def lifecycle_pass(self) -> dict[str, Any]:
        """One lifecycle pass: lock, forget extended locks, purge, mirror group properties."""

        def read(session: Any) -> tuple:
            return (
                all_workshops(session),
                workshop_accounts(session),
                lock_marks(session),
                purged_workshops(session),
                {r.workshop for r in running_resets(session)},
            )

        workshops, accounts, locked, purged, resetting = await self.ops.tx(read)
        await self.resume_all()  # a reset that failed (e.g. the hub was down) tries again
        now = self.ops.clock()
        actions = workshop_actions(
            workshops, accounts, locked=locked, purged=purged, resetting=resetting, now=now
        )
        if actions.lock:
            await self.lock(list(actions.lock))
        if actions.unlock:
            await self.ops.tx(remove_lock_marks, list(actions.unlock))
            log.info(f"Extended, so no longer locked: {', '.join(actions.unlock)}")
        options = ResetOptions(include_instructors=self.purge_includes_instructors)
        for slug in actions.purge:
            log.info(f"Workshop {slug!r} is past its purge date: starting its reset")
            try:
                await self.start(None, slug, options, confirm=slug)
            except (Conflict, HubAPIError) as e:
                log.warning(f"Purge of {slug!r} not started: {e}")
        for view in workshops:
            await self.ops.sync_group(view.slug)
        result: dict[str, Any] = {
            "lock": actions.lock,
            "unlock": actions.unlock,
            "purge": actions.purge,
        }
        for extra in self.extra_passes:
            result.update(await extra())
        return result


def running_reset_json(session: Any, slug: str) -> dict[str, Any] | None:
    """The running reset of ``slug`` (its id and the 409 message naming it), if any."""
    reset = running_reset(session, slug)
    return None if reset is None else {"id": reset.id, "conflict": running_conflict(reset).message}


def _delete_accounts(session: Any, names: list[str], *, actor: str, now: Any) -> None:
    for name in names:
        delete_account(session, name, actor=actor, now=now)


def _raise_first(results: list[Any]) -> None:
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _report(report: Any) -> dict[str, Any]:
    return {
        "existed": getattr(report, "existed", None),
        "files": getattr(report, "files", 0),
        "errors": list(getattr(report, "errors", []))[:20],
    }
