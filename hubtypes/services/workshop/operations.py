"""What the workshop service does: shared by its JSON API and its pages.

Every operation validates first (raising :class:`~hubtypes.inputs.InputError`
or :class:`~hubtypes.db.queries.accounts.StoreError`, both naming the field) and writes
hubtypes' database in one transaction; the hub is reached only through
:class:`~hubtypes.hub.client.HubAPI`. Resets and locks live in :mod:`.runner`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from hubtypes.access.expiry import account_status
from hubtypes.clock import Clock, human
from hubtypes.db.engine import Database
from hubtypes.db.models import Role
from hubtypes.db.queries import accounts as store
from hubtypes.db.queries import resets as wstore
from hubtypes.hub.client import HubAPI, HubAPIError
from hubtypes.inputs import (
    InputError,
    check_count,
    check_expiry,
    check_usernames,
    check_workshop,
    parse_when,
    plan_usernames,
)
from hubtypes.lifecycle.workshops import WorkshopStatus, group_properties, workshop_status
from hubtypes.records import AccountView, WorkshopView
from hubtypes.services.workshop.authz import Action, Identity, allowed, visible

T = TypeVar("T")
log = logging.getLogger("hubtypes.workshop")


class Forbidden(Exception):
    """The identity may not do this (HTTP 403)."""


class Conflict(Exception):
    """The request cannot apply to the workshop in its current state (HTTP 409)."""


@dataclass
class GroupNames:
    members: str = "workshop-{slug}"
    instructors: str = "workshop-{slug}-instructors"

    def of(self, slug: str) -> tuple[str, str]:
        return self.members.format(slug=slug), self.instructors.format(slug=slug)


@dataclass
class Ops:
    db: Database
    hub: HubAPI
    clock: Clock
    groups: GroupNames = field(default_factory=GroupNames)
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
        instructs = set() if who.is_admin else await self.tx(wstore.instructs, who.name)
        if not allowed(who, action, slug, instructs):
            what = f" workshop {slug!r}" if slug else ""
            raise Forbidden(f"{who.name} may not {action.value}{what}")

    # --- workshops --------------------------------------------------------------------

    def _status_of(self, session: Any, view: WorkshopView, purged: set[str]) -> WorkshopStatus:
        return workshop_status(view, self.clock(), purged=view.slug in purged)

    async def workshops(self, who: Identity) -> list[dict[str, Any]]:
        def read(session: Any) -> tuple[list, set[str], set[str]]:
            rows = store.list_workshops(session)
            instructs = set() if who.is_admin else wstore.instructs(session, who.name)
            return rows, wstore.purged_workshops(session), instructs

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
            view = store.workshop_view(store.require_workshop(session, slug))
            counts: dict[str, int] = {}
            for account in store.list_accounts(session, slug):
                counts[account.role] = counts.get(account.role, 0) + 1
            purged = slug in wstore.purged_workshops(session)
            return workshop_json(view, workshop_status(view, self.clock(), purged=purged), counts)

        return await self.tx(read)

    async def create_workshop(self, who: Identity, body: Mapping[str, Any]) -> dict[str, Any]:
        await self.authorize(who, Action.create_workshop)
        now = self.clock()
        data = check_workshop(
            _text(body, "slug"),
            _text(body, "title", ""),
            _text(body, "starts"),
            _text(body, "ends"),
            _text(body, "delete_after"),
            now,
        )
        instructors = _names(body.get("instructors"), "instructors")

        def write(session: Any) -> tuple[WorkshopView, list[store.NewCredential]]:
            view = store.create_workshop(session, **asdict(data), created_by=who.name, now=now)
            creds = []
            if instructors:
                creds = store.create_accounts(
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
        result["credentials"] = [credential_json(c) for c in creds]
        return result

    async def update_workshop(
        self, who: Identity, slug: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.authorize(who, Action.edit, slug)
        now = self.clock()
        await self._refuse_purged(slug)

        def write(session: Any) -> WorkshopView:
            current = store.workshop_view(store.require_workshop(session, slug))
            data = check_workshop(
                slug,
                _text(body, "title", current.title),
                _text(body, "starts", current.starts_at.isoformat()),
                _text(body, "ends", current.ends_at.isoformat()),
                _text(body, "delete_after", current.delete_after.isoformat()),
                now,
            )
            return wstore.update_workshop(
                session,
                slug,
                title=data.title,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                delete_after=data.delete_after,
                actor=who.name,
                now=now,
            )

        view = await self.tx(write)
        await self.sync_group(slug)
        return workshop_json(view, workshop_status(view, now, purged=False), {})

    async def _refuse_purged(self, slug: str) -> None:
        def read(session: Any) -> bool:
            store.require_workshop(session, slug)
            return slug in wstore.purged_workshops(session)

        if await self.tx(read):
            raise Conflict(f"workshop {slug!r} has been purged; create a new workshop")

    async def sync_group(self, slug: str) -> None:
        """Create the workshop's hub groups if needed and mirror it in their properties.

        The status is read afresh under a lock, so a lifecycle pass and a finishing
        reset cannot write an outdated status after a newer one.
        """
        async with self._group_lock:

            def read(session: Any) -> tuple[WorkshopView, bool]:
                view = store.workshop_view(store.require_workshop(session, slug))
                return view, slug in wstore.purged_workshops(session)

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
        views = await self.tx(store.list_accounts, slug)
        active = {u["name"] async for u in self.hub.paginate("/users", {"state": "active"})}
        now = self.clock()
        return [account_json(v, now, running=v.username in active) for v in views]

    async def create_accounts(
        self, who: Identity, slug: str, body: Mapping[str, Any]
    ) -> list[store.NewCredential]:
        await self.authorize(who, Action.create_accounts, slug)
        await self._refuse_purged(slug)
        now = self.clock()
        role_name = _text(body, "role", "participant")
        if role_name not in ("participant", "instructor"):
            raise InputError("role", "use participant or instructor")
        role = Role(role_name)
        expires = parse_when(str(body["expires"]), "expires", now) if body.get("expires") else None
        usernames = _names(body.get("usernames"), "usernames")
        count = body.get("count")
        if usernames and count is not None:
            raise InputError("usernames", "give either usernames or count, not both")
        if not usernames:
            if not isinstance(count, int) or isinstance(count, bool):
                raise InputError("count", "give a whole number of accounts to create")
            check_count(count)
        prefix = _text(body, "prefix", f"{slug}-") or f"{slug}-"
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

        def write(session: Any) -> list[store.NewCredential]:
            workshop = store.workshop_view(store.require_workshop(session, slug))
            check_expiry(expires, workshop.delete_after, now)
            names = usernames or plan_usernames(
                prefix, int(count or 0), store.usernames_with_prefix(session, prefix) | hub_names
            )
            return store.create_accounts(
                session,
                usernames=names,
                workshop=slug,
                role=role,
                expires_at=expires,
                created_by=who.name,
                now=now,
            )

        return await self.tx(write)

    async def _hub_has(self, names: list[str]) -> list[str]:
        found = await self.hub.map(self.hub.user, names)
        for result in found:
            if isinstance(result, BaseException):
                raise result
        return sorted(n for n, r in zip(names, found, strict=True) if r is not None)

    async def update_account(
        self, who: Identity, slug: str, username: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.authorize(who, Action.update_account, slug)
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
            workshop = store.workshop_view(store.require_workshop(session, slug))
            check_expiry(expires, workshop.delete_after, now)
            return wstore.update_account(
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
            events = list(session.scalars(store.select_audit(target=slug, limit=limit)))
            if slug is not None:  # the events about its accounts, too
                names = {a.username for a in store.list_accounts(session, slug)}
                more = store.select_audit(limit=limit * 5)
                events += [
                    e
                    for e in session.scalars(more)
                    if e.target in names or (e.details or {}).get("workshop") == slug
                ]
                events = sorted({e.id: e for e in events}.values(), key=lambda e: -e.id)
            return [audit_json(e) for e in events[:limit]]

        return await self.tx(read)


# --- JSON shapes ------------------------------------------------------------------------


def workshop_json(
    view: WorkshopView, status: WorkshopStatus, counts: Mapping[str, int]
) -> dict[str, Any]:
    return {
        "slug": view.slug,
        "title": view.title,
        "starts_at": view.starts_at.isoformat(),
        "ends_at": view.ends_at.isoformat(),
        "delete_after": view.delete_after.isoformat(),
        "status": status.value,
        "counts": dict(counts),
    }


def account_json(view: AccountView, now: datetime, *, running: bool) -> dict[str, Any]:
    status = account_status(view, now)
    return {
        "username": view.username,
        "role": view.role,
        "status": status.state.value,
        "expires_at": view.expires_at.isoformat() if view.expires_at else None,
        "disabled": view.disabled,
        "last_login_at": view.last_login_at.isoformat() if view.last_login_at else None,
        "server_running": running,
    }


def credential_json(c: store.NewCredential) -> dict[str, Any]:
    return {
        "username": c.username,
        "code": c.code,
        "role": c.role,
        "workshop": c.workshop,
        "expires_at": c.expires_at.isoformat() if c.expires_at else None,
    }


def audit_json(e: Any) -> dict[str, Any]:
    return {
        "at": e.at.isoformat() + "Z",
        "when": human(e.at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "details": e.details or {},
    }


def _text(body: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if value is None:
        raise InputError(key, "is required")
    if not isinstance(value, str):
        raise InputError(key, "must be a string")
    return value


def _names(value: Any, key: str) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [n.strip() for n in value.replace("\n", ",").split(",") if n.strip()]
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise InputError(key, "a list of usernames")
    return check_usernames(value)
