"""What instructors do for the people at a live workshop: a new code for a lost one, a
cleared login throttle, a roster imported at once; and the admin's archive of a purged
workshop. Shared by the service's API and pages, like :mod:`.operations`.

A new code ends the account's open sessions at once: the service stops every server of
the account and deletes its API tokens through the hub (as a lock does, :mod:`.resets`),
so JupyterLab loses its server and the OAuth tokens of the hub's services go; the hub's
own login cookie ends at the account's next auth refresh (``auth_refresh_age``, 60 s with
hubtypes' login snippet, and before any spawn), because the authenticator's
``refresh_user`` refuses a session whose last login predates the new code
(:func:`hubtypes.access.codes.session_predates_code`). The hub has no REST API to end a
login cookie, so the refresh is the only way to reach it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from hubtypes.access.roster import RosterError, RosterPlan, parse_roster, plan_roster
from hubtypes.db.queries.accounts import clear_throttle, existing_usernames, reissue_code
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.workshops import archive_workshop
from hubtypes.errors import Conflict, InputError
from hubtypes.hub.client import HubAPIError
from hubtypes.lifecycle.workshops import workshop_status
from hubtypes.records import NewCredential, running_servers
from hubtypes.services.workshop.authz import Action, Identity
from hubtypes.services.workshop.operations import HUB_LOOKUPS_ONE_BY_ONE, Operations
from hubtypes.services.workshop.resets import Resets
from hubtypes.services.workshop.shapes import workshop_json

log = logging.getLogger("hubtypes.services.workshop")

# a plan's usernames are checked against the hub again after each round of renames
_PLAN_ROUNDS = 5


@dataclass
class People:
    ops: Operations
    resets: Resets

    # --- a new code for a lost one ----------------------------------------------------

    async def reissue(self, who: Identity, slug: str, username: str) -> dict[str, Any]:
        """A new code for ``username`` (shown once); the old one stops working now and the
        account's open sessions end. Its hub user, home and files stay."""
        await self.ops.authorize(who, Action.update_account, slug)
        await self.ops._refuse_purged(slug)
        now = self.ops.clock()
        credential = await self.ops.tx(reissue_code, slug, username, actor=who.name, now=now)
        log.info(f"{who.name} issued a new code for {username!r} (workshop {slug!r})")
        ended = await self.end_sessions(who, username)
        return {"credential": credential.as_dict(), "sessions": ended}

    async def end_sessions(self, who: Identity, username: str) -> dict[str, Any]:
        """Stop the user's servers and delete their tokens (audited); what was done."""
        try:
            present = await self.ops.hub.users_named([username], one_by_one=1)
            if username not in present:
                return {"ended": True, "servers": [], "tokens": 0}  # never logged in
            servers = running_servers(present[username])
            await self.resets.stop_all(username, servers)
            tokens = 0
            for token in await self.ops.hub.tokens(username):
                await self.ops.hub.delete_token(username, str(token["id"]))
                tokens += 1
        except HubAPIError as e:
            # the code is replaced already; the hub ends the session at its next refresh
            log.warning(f"Could not end {username!r}'s sessions through the hub: {e}")
            return {"ended": False, "error": f"the hub answered: {e}"}
        details = {"servers": servers, "tokens": tokens, "why": "new code"}
        await self.ops.tx(audit, actor=who.name, action="account.sessions_ended",
                          target=username, now=self.ops.clock(), details=details)  # fmt: skip
        return {"ended": True, "servers": servers, "tokens": tokens}

    # --- login throttle ----------------------------------------------------------------

    async def clear_throttle(self, who: Identity, slug: str, username: str) -> dict[str, Any]:
        await self.ops.authorize(who, Action.update_account, slug)
        now = self.ops.clock()
        cleared = await self.ops.tx(clear_throttle, slug, username, actor=who.name, now=now)
        log.info(f"{who.name} cleared the login throttle of {username!r} ({cleared} counters)")
        return {"username": username, "cleared": cleared}

    # --- roster import ------------------------------------------------------------------

    async def roster_plan(self, who: Identity, slug: str, text: str, prefix: str) -> RosterPlan:
        """Who gets which username; nothing is written."""
        await self.ops.authorize(who, Action.create_accounts, slug)
        await self.ops._refuse_purged(slug)
        try:
            people = parse_roster(text)
        except RosterError as e:
            raise InputError("roster", str(e)) from None
        taken: set[str] = set()
        for _ in range(_PLAN_ROUNDS):
            plan = plan_roster(people, taken, prefix)
            wanted = plan.usernames
            found = await self.ops.tx(existing_usernames, wanted)
            found |= set(await self.ops.hub.users_named(wanted, one_by_one=HUB_LOOKUPS_ONE_BY_ONE))
            if not found - taken:
                return plan
            taken |= found
        raise Conflict("roster", "too many of these usernames are taken; choose a prefix")

    async def roster_create(
        self, who: Identity, slug: str, body: dict[str, Any]
    ) -> tuple[RosterPlan, list[dict[str, Any]]]:
        """Create the planned accounts, if the plan is still the one previewed."""
        text = str(body.get("roster") or "")
        prefix = str(body.get("prefix") or "")
        plan = await self.roster_plan(who, slug, text, prefix)
        if plan.problems:
            first = plan.problems[0]
            raise InputError(
                "roster",
                f"{len(plan.problems)} row(s) cannot get a username (line {first.person.line}: "
                f"{first.problem}); fix them and preview again",
            )
        planned = body.get("planned")
        if planned is not None:
            shown = planned if isinstance(planned, list) else str(planned).split(",")
            if [str(n).strip() for n in shown if str(n).strip()] != plan.usernames:
                raise Conflict(
                    "planned",
                    "the usernames changed since the preview (a name was taken meanwhile); "
                    "nothing was created: check the new preview and create again",
                )
        request = {"usernames": plan.usernames, "role": body.get("role") or "participant"}
        if body.get("expires"):
            request["expires"] = body["expires"]
        creds: list[NewCredential] = await self.ops.create_accounts(who, slug, request)
        people = {r.username: r.person for r in plan.rows if not r.problem}
        rows = []
        for c in creds:
            person = people[c.username]
            rows.append({**c.as_dict(), "name": person.name, "email": person.email})
        return plan, rows

    # --- archive ------------------------------------------------------------------------

    async def archive(self, who: Identity, slug: str) -> dict[str, Any]:
        await self.ops.authorize(who, Action.archive, slug)
        now = self.ops.clock()
        view = await self.ops.tx(archive_workshop, slug, actor=who.name, now=now)
        log.info(f"Workshop {slug!r} archived by {who.name}")
        await self.ops.sync_group(slug)
        return workshop_json(view, workshop_status(view, now, purged=True), {})
