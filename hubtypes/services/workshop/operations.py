"""What the workshop service does with workshops and accounts: shared by its API and pages.

Every operation authorizes first, then validates (raising the errors of
:mod:`hubtypes.errors`, which name the field), then writes hubtypes' database in one
transaction; the hub is reached only through :class:`~hubtypes.hub.client.HubAPI`.
Resets, locks and the periodic lifecycle pass live in :mod:`.resets`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from hubtypes.access.names import GroupNames
from hubtypes.clock import Clock
from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries.accounts import (
    create_accounts,
    instructed_workshops,
    list_accounts,
    update_account,
    usernames_with_prefix,
)
from hubtypes.db.queries.audit import audit, select_audit, workshop_events
from hubtypes.db.queries.resets import purged_workshops
from hubtypes.db.queries.workshops import (
    create_workshop,
    find_workshop,
    list_workshops,
    reopen_workshop,
    update_workshop,
)
from hubtypes.errors import Conflict, Forbidden, InputError
from hubtypes.hub.client import HubAPI, HubAPIError
from hubtypes.inputs import (
    Caps,
    WorkshopInput,
    body_names,
    body_text,
    check_caps,
    check_expiry,
    check_instructor_role,
    check_names_or_count,
    check_workshop,
    parse_when,
    plan_usernames,
)
from hubtypes.lifecycle.workshops import group_properties, workshop_status
from hubtypes.records import WORKSHOP_RESETTING, AccountView, NewCredential, WorkshopView
from hubtypes.services.workshop.authz import Action, Identity, allowed, visible
from hubtypes.services.workshop.shapes import account_json, audit_json, workshop_json

T = TypeVar("T")
log = logging.getLogger("hubtypes.services.workshop")

# up to this many names are looked up in the hub one by one, more by one listing
HUB_LOOKUPS_ONE_BY_ONE = 5


@dataclass
class Operations:
    """The service's database, hub client and clock, and what it does with them."""

    db: Database
    hub: HubAPI
    clock: Clock
    groups: GroupNames = field(default_factory=GroupNames)
    caps: Caps = field(default_factory=Caps)
    # called after accounts were created (the group sync runs a pass then)
    accounts_created: Callable[[], None] | None = None
    _written: dict[str, dict[str, Any]] = field(default_factory=dict)
    _group_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """A database function in a worker thread (the event loop keeps serving)."""
        return await asyncio.to_thread(fn, *args, **kw)

    def _tx(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        with self.db.session() as session:
            return fn(session, *args, **kw)

    async def tx(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        """``fn(session, ...)`` in one transaction, in a worker thread."""
        return await self.run(self._tx, fn, *args, **kw)

    # --- authorization ----------------------------------------------------------------

    async def authorize(self, who: Identity, action: Action, slug: str | None = None) -> None:
        instructs = set() if who.is_admin else await self.tx(instructed_workshops, who.name)
        if not allowed(who, action, slug, instructs):
            what = f" workshop {slug!r}" if slug else ""
            raise Forbidden(f"{who.name} may not {action.value}{what}")

    # --- workshops --------------------------------------------------------------------

    async def workshops(self, who: Identity, archived: bool = False) -> list[dict[str, Any]]:
        def read(session: Any) -> tuple[list, set[str], set[str]]:
            rows = list_workshops(session, include_archived=archived)
            instructs = set() if who.is_admin else instructed_workshops(session, who.name)
            return rows, purged_workshops(session), instructs

        rows, purged, instructs = await self.tx(read)
        if not who.is_admin and not allowed(who, Action.list, None, instructs):
            raise Forbidden(f"{who.name} instructs no workshop")
        shown = visible(who, {w.slug for w, _ in rows}, instructs)
        now = self.clock()
        return [
            workshop_json(w, workshop_status(w, now, purged=w.slug in purged), counts)
            for w, counts in rows
            if w.slug in shown
        ]

    async def workshop(self, who: Identity, slug: str) -> dict[str, Any]:
        await self.authorize(who, Action.view, slug)

        def read(session: Any) -> dict[str, Any]:
            view = find_workshop(session, slug)
            counts: dict[str, int] = {}
            for account in list_accounts(session, slug):
                counts[account.role] = counts.get(account.role, 0) + 1
            purged = slug in purged_workshops(session)
            return workshop_json(view, workshop_status(view, self.clock(), purged=purged), counts)

        return await self.tx(read)

    async def create_workshop(self, who: Identity, body: Mapping[str, Any]) -> dict[str, Any]:
        await self.authorize(who, Action.create_workshop)
        now = self.clock()
        data = check_workshop(
            body_text(body, "slug"),
            body_text(body, "title", ""),
            body_text(body, "starts"),
            body_text(body, "ends"),
            body_text(body, "delete_after"),
            now,
        )
        instructors = body_names(body.get("instructors"), "instructors")
        # like account creation: a name the hub already has must never get a code
        if instructors and (taken_in_hub := await self._hub_has(instructors)):
            raise InputError("instructors", f"already hub users: {', '.join(taken_in_hub)}")

        def write(session: Any) -> tuple[WorkshopView, list[NewCredential]]:
            view = create_workshop(session, data, created_by=who.name, now=now, groups=self.groups)
            creds = []
            if instructors:
                creds = create_accounts(
                    session,
                    usernames=instructors,
                    workshop=data.slug,
                    role=Role.instructor,
                    expires_at=None,
                    created_by=who.name,
                    now=now,
                )
            return view, creds

        view, creds = await self.tx(write)
        await self.sync_group(view.slug)
        result = workshop_json(view, workshop_status(view, now, purged=False), {})
        result["credentials"] = [c.as_dict() for c in creds]
        return result

    async def update_workshop(
        self, who: Identity, slug: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.authorize(who, Action.edit, slug)
        now = self.clock()
        await self._refuse_purged(slug)

        def write(session: Any) -> WorkshopView:
            current = find_workshop(session, slug)
            data = check_workshop(
                slug,
                body_text(body, "title", current.title),
                body_text(body, "starts", current.starts_at.isoformat()),
                body_text(body, "ends", current.ends_at.isoformat()),
                body_text(body, "delete_after", current.delete_after.isoformat()),
                now,
            )
            before = WorkshopInput(
                slug, current.title, current.starts_at, current.ends_at, current.delete_after
            )
            if check_caps(before, data, self.caps, now, admin=who.is_admin):
                # an admin purging sooner than instructors may: its own audit entry
                moved = [before.delete_after.isoformat(), data.delete_after.isoformat()]
                notice = self.caps.purge_notice / timedelta(hours=1)
                details = {"delete_after": moved, "notice_hours": notice}
                audit(
                    session,
                    actor=who.name,
                    action="workshop.purge_advanced",
                    target=slug,
                    now=now,
                    details=details,
                )
                log.info(f"{who.name} moved workshop {slug!r}'s purge inside the notice period")
            return update_workshop(session, data, actor=who.name, now=now)

        view = await self.tx(write)
        await self.sync_group(slug)
        return workshop_json(view, workshop_status(view, now, purged=False), {})

    async def _refuse_purged(self, slug: str) -> None:
        """409 for a workshop being reset or purged (closed until an admin reopens it)."""
        view = await self.tx(find_workshop, slug)
        if view.state == WORKSHOP_RESETTING:
            raise Conflict("workshop", f"workshop {slug!r} is being reset; wait for it to finish")
        if view.closed:
            raise Conflict(
                "workshop",
                f"workshop {slug!r} has been purged; create a new workshop, or (an admin) "
                f"reopen it: POST /workshops/{slug}/reopen",
            )

    async def reopen_workshop(
        self, who: Identity, slug: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """An admin opens a purged workshop again, with dates that lie ahead (audited)."""
        await self.authorize(who, Action.reopen, slug)
        now = self.clock()

        def write(session: Any) -> WorkshopView:
            current = find_workshop(session, slug)
            if "delete_after" not in body:
                raise InputError(
                    "delete_after", "give the reopened workshop's new purge date (and ends)"
                )
            data = check_workshop(
                slug,
                body_text(body, "title", current.title),
                body_text(body, "starts", current.starts_at.isoformat()),
                body_text(body, "ends", current.ends_at.isoformat()),
                body_text(body, "delete_after"),
                now,
            )
            return reopen_workshop(session, data, actor=who.name, now=now)

        view = await self.tx(write)
        log.info(f"Workshop {slug!r} reopened by {who.name} until {view.delete_after}")
        await self.sync_group(slug)
        return workshop_json(view, workshop_status(view, now, purged=False), {})

    async def sync_group(self, slug: str) -> None:
        """Create the workshop's hub groups if needed and mirror it in their properties.

        The status is read afresh under a lock, so a lifecycle pass and a finishing
        reset cannot write an outdated status after a newer one.
        """
        async with self._group_lock:

            def read(session: Any) -> tuple[WorkshopView, bool]:
                view = find_workshop(session, slug)
                return view, slug in purged_workshops(session)

            view, purged = await self.tx(read)
            props = group_properties(view, workshop_status(view, self.clock(), purged=purged))
            if self._written.get(slug) == props:
                return
            members, instructors = self.groups.of(slug)
            try:
                for name in (members, instructors):
                    await self.hub.ensure_group(name)
                await self.hub.set_group_properties(members, props)
                await self.hub.set_group_properties(instructors, {**props, "instructors": True})
            except HubAPIError as e:
                log.warning(f"Could not update hub group {members}: {e}")
                return
            self._written[slug] = props

    # --- accounts ---------------------------------------------------------------------

    async def accounts(self, who: Identity, slug: str) -> list[dict[str, Any]]:
        await self.authorize(who, Action.view, slug)
        views = await self.tx(list_accounts, slug)
        active = {u["name"] async for u in self.hub.paginate("/users", {"state": "active"})}
        now = self.clock()
        return [account_json(v, now, running=v.username in active) for v in views]

    async def create_accounts(
        self, who: Identity, slug: str, body: Mapping[str, Any]
    ) -> list[NewCredential]:
        await self.authorize(who, Action.create_accounts, slug)
        await self._refuse_purged(slug)
        now = self.clock()
        role_name = body_text(body, "role", "participant")
        if role_name not in ("participant", "instructor"):
            raise InputError("role", "use participant or instructor")
        role = Role(role_name)
        if role is Role.instructor:
            check_instructor_role(self.caps, admin=who.is_admin)
        expires = parse_when(str(body["expires"]), "expires", now) if body.get("expires") else None
        usernames = body_names(body.get("usernames"), "usernames")
        count = check_names_or_count(usernames, body.get("count"))
        prefix = body_text(body, "prefix", f"{slug}-") or f"{slug}-"
        # a name the hub already has (e.g. a community user's) must never get a code
        hub_names: set[str] = set()
        if usernames:
            taken_in_hub = await self._hub_has(usernames)
            if taken_in_hub:
                raise InputError("usernames", f"already hub users: {', '.join(taken_in_hub)}")
        else:
            hub_names = {
                u["name"]
                async for u in self.hub.paginate("/users", {"name_filter": prefix})
                if u["name"].startswith(prefix)
            }

        def write(session: Any) -> list[NewCredential]:
            workshop = find_workshop(session, slug)
            check_expiry(expires, workshop.delete_after, now)
            names = usernames or plan_usernames(
                prefix, int(count or 0), usernames_with_prefix(session, prefix) | hub_names
            )
            return create_accounts(
                session,
                usernames=names,
                workshop=slug,
                role=role,
                expires_at=expires,
                created_by=who.name,
                now=now,
            )

        created = await self.tx(write)
        if self.accounts_created is not None:
            self.accounts_created()
        return created

    async def _hub_has(self, names: list[str]) -> list[str]:
        """Those of ``names`` the hub has."""
        return sorted(await self.hub.users_named(names, one_by_one=HUB_LOOKUPS_ONE_BY_ONE))

    async def update_account(
        self, who: Identity, slug: str, username: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.authorize(who, Action.update_account, slug)
        if username == who.name and not who.is_admin and ("expires" in body or "disabled" in body):
            # an instructor would otherwise undo a lock or an expiry an admin set on them
            raise Forbidden(
                f"{who.name} may not change their own account's expiry or disabled flag; "
                "ask a hub admin"
            )
        await self._refuse_purged(slug)
        now = self.clock()
        expires = None
        clear = body.get("expires", ...) is None
        if body.get("expires"):
            expires = parse_when(str(body["expires"]), "expires", now)
        disabled = body.get("disabled")
        if disabled is not None and not isinstance(disabled, bool):
            raise InputError("disabled", "true or false")

        def write(session: Any) -> AccountView:
            workshop = find_workshop(session, slug)
            check_expiry(expires, workshop.delete_after, now)
            return update_account(
                session,
                slug,
                username,
                actor=who.name,
                now=now,
                expires_at=expires,
                clear_expiry=clear,
                disabled=disabled,
            )

        return account_json(await self.tx(write), now, running=False)

    async def audit(self, who: Identity, slug: str | None, limit: int = 200) -> list[dict]:
        if slug is None:
            await self.authorize(who, Action.audit_all)
        else:
            await self.authorize(who, Action.view, slug)

        def read(session: Any) -> list[dict[str, Any]]:
            if slug is None:
                events = list(session.scalars(select_audit(limit=limit)))
            else:
                names = {a.username for a in list_accounts(session, slug)}
                events = workshop_events(session, slug, names, limit)
            return [audit_json(e) for e in events]

        return await self.tx(read)
