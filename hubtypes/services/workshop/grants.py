"""Workshop grants in the service: add, list, change, remove, and their lock and purge.

Grants name identities another authenticator logs in (see
:mod:`hubtypes.auth.access_mixin`). Instructors manage the grants of the workshops they
instruct with the same rights as its accounts (``create-accounts`` to add, participants
or co-instructors, ``update-account`` to change or remove, ``view`` to list). An
instructor grant makes its identity an instructor of the workshop, as an instructor
account does. The lifecycle pass locks and
purges grants as :mod:`hubtypes.lifecycle.grants` decides; a community member's default
server, home and tokens are never touched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from traitlets import Bool, CaselessStrEnum, Dict
from traitlets.config import Configurable

from hubtypes.access.grants import (
    GrantView,
    IdentityKind,
    IdentityRules,
    check_identities,
    check_role,
    grant_json,
    grant_refusals,
    parse_roster,
    workshop_server_name,
)
from hubtypes.db.queries import grants as queries
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.workshops import find_workshop
from hubtypes.errors import Conflict, Forbidden, InputError
from hubtypes.hub.client import HubAPIError, quote_name
from hubtypes.inputs import check_expiry, check_instructor_role, parse_when
from hubtypes.lifecycle.grants import PurgeStep, grant_actions, lock_step, purge_step
from hubtypes.records import running_servers
from hubtypes.services.workshop.authz import Action, Identity
from hubtypes.services.workshop.operations import HUB_LOOKUPS_ONE_BY_ONE, Operations

log = logging.getLogger("hubtypes.services.workshop")


class WorkshopGrants(Configurable):
    """How the hub's authenticator names people, so grants use the same names."""

    identity_kind = CaselessStrEnum(
        [k.value for k in IdentityKind],
        default_value="any",
        help="""What the hub's authenticator calls people: ``login`` (GitHub, GitLab:
        grants refuse emails), ``email`` (Google, most OpenID Connect setups: grants
        refuse anything else) or ``any`` (the default).""",
    ).tag(config=True)
    lowercase = Bool(
        True,
        help="""Lowercase identities as JupyterHub's default ``normalize_username`` does.
        Default True; set False only if the hub's authenticator keeps case.""",
    ).tag(config=True)
    username_map = Dict(
        help="""The hub's ``c.Authenticator.username_map``, if it has one, so a grant for
        an old name lands on the name the hub will use. Default empty.""",
    ).tag(config=True)

    def rules(self) -> IdentityRules:
        pairs = tuple((str(k).lower(), str(v)) for k, v in self.username_map.items())
        return IdentityRules(IdentityKind(self.identity_kind.lower()), self.lowercase, pairs)


@dataclass
class Grants:
    ops: Operations
    rules: IdentityRules = IdentityRules()
    stop_timeout: float = 120.0

    # --- instructors' operations -----------------------------------------------------

    async def list(self, who: Identity, slug: str) -> list[dict[str, Any]]:
        await self.ops.authorize(who, Action.view, slug)
        views = await self.ops.tx(queries.list_grants, slug)
        now = self.ops.clock()
        return [grant_json(v, now) for v in views]

    async def add(self, who: Identity, slug: str, body: Mapping[str, Any]) -> dict[str, Any]:
        await self.ops.authorize(who, Action.create_accounts, slug)
        now = self.ops.clock()
        role = check_role(body.get("role"))
        if role == "instructor":
            check_instructor_role(self.ops.caps, admin=who.is_admin)
        raws = _identities(body)
        identities = check_identities(raws, self.rules)
        expires = parse_when(str(body["expires"]), "expires", now) if body.get("expires") else None
        names = [i.name for i in identities]
        # a few asked one by one, more in one listing (as for accounts), never one per name
        models = await self.ops.hub.users_named(names, one_by_one=HUB_LOOKUPS_ONE_BY_ONE)
        admins = [name for name in names if (models.get(name) or {}).get("admin")]

        def write(session: Any) -> tuple[list[str], list[str]]:
            workshop = find_workshop(session, slug)
            check_expiry(expires, workshop.delete_after, now)
            refusals = grant_refusals(
                names,
                slug,
                admins=admins,
                accounts=queries.account_names(session, names),
                granted=queries.granted_workshops(session, names),
            )
            if refusals:
                raise Conflict(
                    "identities", "; ".join(f"{r.identity} {r.message}" for r in refusals)
                )
            return queries.add_grants(
                session, slug, identities, expires_at=expires, actor=who.name, now=now, role=role
            )

        added, already = await self.ops.tx(write)
        log.info(f"Workshop {slug!r}: {who.name} granted {len(added)} identities as {role}")
        return {
            "added": added,
            "already": already,
            "normalised": [
                {"given": i.given, "identity": i.name, "notes": list(i.notes)}
                for i in identities
                if i.notes
            ],
            "grants": await self.list(who, slug),
        }

    async def update(
        self, who: Identity, slug: str, identity: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        await self.ops.authorize(who, Action.update_account, slug)
        await self.ops._refuse_purged(slug)  # as for accounts: 409 while resetting or purged
        if identity == who.name and not who.is_admin and "expires" in body:
            # as for accounts: an instructor would otherwise undo an end an admin set on them
            raise Forbidden(f"{who.name} may not change their own grant's expiry; ask a hub admin")
        now = self.ops.clock()
        if "expires" not in body and "role" not in body:
            raise InputError(
                "expires", "give the grant's own end (a date, +2h, or null) and/or its role"
            )
        expires: Any = queries.KEEP
        if "expires" in body:
            expires = parse_when(str(body["expires"]), "expires", now) if body["expires"] else None
        role = check_role(body["role"]) if "role" in body else None
        if role == "instructor":
            check_instructor_role(self.ops.caps, admin=who.is_admin)

        def write(session: Any) -> GrantView:
            if expires is not queries.KEEP:
                check_expiry(expires, find_workshop(session, slug).delete_after, now)
            return queries.update_grant(
                session, slug, identity, expires_at=expires, role=role, actor=who.name, now=now
            )

        return grant_json(await self.ops.tx(write), now)

    async def remove(self, who: Identity, slug: str, identity: str) -> None:
        await self.ops.authorize(who, Action.update_account, slug)
        await self.ops._refuse_purged(slug)
        now = self.ops.clock()

        def write(session: Any) -> None:
            grant = queries.grant_row(session, slug, identity)
            if grant.last_login_at is not None:
                raise Conflict(
                    "identity",
                    f"{identity} has logged in with this grant; end their access now with "
                    "expires=+0s instead (their workshop data goes at the workshop's purge)",
                )
            queries.delete_grant(session, identity, actor=who.name, now=now)

        await self.ops.tx(write)

    # --- the lifecycle pass ----------------------------------------------------------

    async def lifecycle_pass(self) -> dict[str, Any]:
        grants = await self.ops.tx(queries.list_grants)
        now = self.ops.clock()
        actions = grant_actions(grants, now)
        locked = []
        for grant in actions.lock:
            try:
                await self._lock(grant)
                locked.append(grant.identity)
            except (HubAPIError, TimeoutError) as e:
                log.warning(f"Grant of {grant.identity} not locked yet: {e}")
        if locked:
            await self.ops.tx(queries.set_locked, locked, now)
        if actions.unlock:
            await self.ops.tx(queries.set_locked, [g.identity for g in actions.unlock], None)
        purged = []
        for grant in actions.purge:
            try:
                step = await self._purge(grant)
                purged.append(grant.identity)
                await self._audit("grant.purged", grant, {"step": step.value})
            except (HubAPIError, TimeoutError) as e:
                log.warning(f"Grant of {grant.identity} not purged yet: {e}")
        return {
            "grants_locked": locked,
            "grants_unlocked": [g.identity for g in actions.unlock],
            "grants_purged": purged,
        }

    async def _lock(self, grant: GrantView) -> None:
        name = grant.identity
        model = await self.ops.hub.user(name)
        if model is None:
            return
        step = lock_step(grant, running_servers(model))
        for server in step.stop:
            await self._stop(name, server)
        tokens = 0
        if step.delete_tokens:
            for token in await self.ops.hub.tokens(name):
                await self.ops.hub.delete_token(name, str(token["id"]))
                tokens += 1
        await self._audit("grant.locked", grant, {"stopped": list(step.stop), "tokens": tokens})

    async def _purge(self, grant: GrantView) -> PurgeStep:
        name = grant.identity
        resp = await self.ops.hub.request(
            "GET", f"/users/{quote_name(name)}", params={"include_stopped_servers": "1"}, ok=(404,)
        )
        model = resp.json() if resp.status == 200 else None
        servers = set((model or {}).get("servers") or {})
        step = purge_step(
            grant, hub_user=model is not None, admin=bool(model and model.get("admin")),
            servers=servers,
        )  # fmt: skip
        if step is PurgeStep.delete_user:
            assert model is not None
            for server in running_servers(model):
                await self._stop(name, server)
            await self.ops.hub.delete_user(name)
        elif step is PurgeStep.remove_server:
            server = workshop_server_name(grant.workshop.slug)
            await self._stop(name, server)
            # the hub removes the server and calls the spawner's delete_forever (storage)
            path = f"/users/{quote_name(name)}/servers/{quote_name(server)}"
            await self.ops.hub.request("DELETE", path, {"remove": True}, ok=(404,))
        await self.ops.tx(queries.delete_grant, name, actor="lifecycle", now=self.ops.clock())
        return step

    async def _stop(self, name: str, server: str) -> None:
        """Stop one server and wait until the hub says it is stopped (the others run on)."""
        await self.ops.hub.stop_server(name, server)
        deadline = time.monotonic() + self.stop_timeout
        while True:
            model = await self.ops.hub.user(name)
            if model is None or server not in running_servers(model):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}'s server {server!r} did not stop")
            await asyncio.sleep(0.25)

    async def _audit(self, action: str, grant: GrantView, details: dict[str, Any]) -> None:
        slug = grant.workshop.slug
        log.info(f"Workshop {slug!r}: {action} {grant.identity} ({grant.standing.value}) {details}")
        details = {"identity": grant.identity, "standing": grant.standing.value, **details}
        await self.ops.tx(audit, actor="lifecycle", action=action, target=slug,
                          now=self.ops.clock(), details=details)  # fmt: skip


def _identities(body: Mapping[str, Any]) -> list[str]:
    """The identities of a request: ``identities`` (a list, or text) and/or a ``roster`` CSV."""
    value = body.get("identities")
    raws: list[str] = []
    if isinstance(value, str):
        raws += parse_roster(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        raws += value
    elif value not in (None, ""):
        raise InputError("identities", "a list of logins or emails, or text with one per line")
    roster = body.get("roster")
    if roster:
        if not isinstance(roster, str):
            raise InputError("roster", "the roster CSV's text")
        raws += parse_roster(roster)
    if not raws:
        raise InputError("identities", "give at least one login or email (or a roster CSV)")
    return raws
