"""WorkshopAccessMixin: time-limited workshop access for any Authenticator's identities.

Composed like JupyterHub's ``LocalAuthenticator``, first in the bases::

    class WorkshopGitHubOAuthenticator(WorkshopAccessMixin, GitHubOAuthenticator): ...

How it fits the flows it extends (read from their source):

- ``Authenticator.get_authenticated_user`` (jupyterhub/auth.py) calls ``authenticate``,
  normalises the name, then ``check_allowed(username, auth_model)`` unless ``allow_all``.
  OAuthenticator's ``authenticate`` (oauthenticator/oauth2.py) builds the auth model and
  runs ``update_auth_model`` first, so the base's ``check_allowed`` (allowed_users,
  allowed_groups, GitHub organisations, Google groups, CILogon domains...) sees everything
  it needs. This mixin calls that ``check_allowed`` unchanged and only *adds* a yes: an
  identity the base refuses may come in on a workshop grant between the workshop's opening
  and its lock. A 403 the base raises (e.g. Google's unverified email) still refuses.
- ``refresh_user`` (OAuthenticator: re-reads the provider's user when auth state is on)
  is asked first whether a guest's grant has locked: then False, so the hub ends the
  session (jupyterhub/handlers/base.py ``refresh_auth``), with no provider round trip.
  Community members are refreshed by the base alone: a workshop never ends their session.
- ``add_user`` (JupyterHub: adds every existing user to ``allowed_users`` when
  ``allow_existing_users``) must not turn a guest into a community member just because the
  grant created their hub user: such a name is taken out of ``allowed_users`` again,
  unless the operator's configuration had put it there.

- ``run_post_auth_hook`` (JupyterHub: runs ``post_auth_hook`` after ``check_allowed``) then
  puts whoever instructs a workshop in hubtypes' database (an instructor grant) in the
  ``hubtypes-instructors`` group, whose role (loaded by 30-hubtypes-workshop-service.py)
  gives the workshop service's instruct scope, and takes everyone else out of it. With
  ``manage_groups`` the group goes into the auth model's ``groups`` (the hub syncs them,
  jupyterhub/handlers/base.py ``auth_to_user``); without, the hub's ``User.sync_groups``
  changes that one group and leaves the others (an admin's) as they are. A user the login
  is creating gets it in ``add_user``, which the hub calls once it has made them.

The grant's standing (community or guest) is recorded at each login; the workshop service
and the spawner read it from hubtypes' database.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from typing import Any

from jupyterhub.utils import maybe_future, url_path_join
from tornado import web
from traitlets import Any as AnyTrait
from traitlets import Bool
from traitlets.config import LoggingConfigurable

from hubtypes.access.dates import Dates, account_dates
from hubtypes.access.grants import (
    GrantView,
    Standing,
    as_account,
    grant_status,
    keeps_session,
    login_decision,
    with_instructors_group,
    workshop_server_name,
)
from hubtypes.access.names import SERVICE_INSTRUCTORS_GROUP
from hubtypes.auth.dates_api import ROUTE as DATES_ROUTE
from hubtypes.auth.dates_api import DatesHandler
from hubtypes.auth.page_dates import WorkshopDates
from hubtypes.clock import as_utc, human, utcnow
from hubtypes.db.database import Database, DatabaseError, HubTypesDatabase
from hubtypes.db.queries import grants as queries
from hubtypes.db.queries.accounts import instructed_workshops
from hubtypes.storage.hub_types import config_problems


def stop_on_spawner_config_problems(configurable: LoggingConfigurable) -> None:
    """Check ``c.HubTypeSpawnerMixin`` when the hub starts, not at a participant's first spawn.

    Every hubtypes authenticator runs this in its ``__init__`` (the hub makes the
    authenticator at start, with its whole config as parent). Each problem is one critical
    line naming ``c.HubTypeSpawnerMixin.<trait>`` and what it accepts; then the hub stops,
    as JupyterHub does for a database it cannot use.
    """
    config = getattr(configurable.parent, "config", None) or configurable.config
    problems = config_problems(config.get("HubTypeSpawnerMixin", {}))
    for problem in problems:
        configurable.log.critical(f"hubtypes: {problem}")
    if problems:
        sys.exit(1)


class WorkshopAccessMixin(LoggingConfigurable):
    """Let identities with a workshop grant in for the workshop's dates. Configure as
    ``c.WorkshopAccessMixin.<trait>``."""

    allow_workshop_grants = Bool(
        True,
        help="""Let identities the authenticator's own allow rules refuse log in on a
        workshop grant, from the workshop's opening to its lock (grants are made in the
        workshop service or with ``hubtypes grants add``). Default True; False turns grants
        off and leaves the base authenticator exactly as it is. Counts as allow
        configuration for JupyterHub's "no allow config" warning.""",
    ).tag(config=True, allow_config=True)

    workshop_clock = AnyTrait(
        utcnow,
        help="""Callable returning the current aware UTC time. Only tests change it.""",
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        stop_on_spawner_config_problems(self)
        try:
            self.grants_database: Database = HubTypesDatabase(parent=self).connect()
        except DatabaseError as e:
            self.log.critical(str(e))
            sys.exit(1)
        # instructors whose login is creating their hub user (add_user puts them in the group)
        self._new_instructors: set[str] = set()
        # the hub's pages read grants from this cache, filled by the reads at login and
        # refresh (auth/page_dates.py): the same mechanism as WorkshopAuthenticator's
        self.workshop_dates = WorkshopDates(
            parent=self, read=self._grant_now, dates_of=_guest_dates, clock=self._now
        )
        template_vars = getattr(self.parent, "template_vars", None)
        self.workshop_dates.install(template_vars)
        if isinstance(template_vars, dict):
            # called with the user when a page renders (jupyterhub/handlers/base.py)
            template_vars.setdefault("hubtypes_workshop_servers", self.workshop_servers)

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        # the base authenticator's own (OAuth login and callback), and the dates as JSON for
        # hubtypes' JupyterLab extension (auth/dates_api.py)
        handlers = list(super().get_handlers(app))  # type: ignore[misc]
        return [*handlers, (DATES_ROUTE, DatesHandler)]

    def _now(self) -> Any:
        return self.workshop_clock()

    # --- hubtypes' database, in worker threads (the hub's loop never waits for it) -------

    def _grant_now(self, name: str) -> GrantView | None:
        with self.grants_database.connection() as conn:
            return queries.grant_for(conn, name)

    async def workshop_grant(self, name: str) -> GrantView | None:
        grant = await asyncio.to_thread(self._grant_now, name)
        self.workshop_dates.remember(name, grant)
        return grant

    def _record(self, name: str, standing: Standing) -> None:
        with self.grants_database.connection() as conn:
            queries.record_login(conn, name, standing, self.workshop_clock())

    def _guests(self) -> set[str]:
        with self.grants_database.connection() as conn:
            return queries.guests(conn)

    def _instructs(self, name: str) -> bool:
        with self.grants_database.session() as session:
            return bool(instructed_workshops(session, name))

    # --- the flows -------------------------------------------------------------------

    async def check_allowed(self, username: str, authentication: dict | None = None) -> bool:
        base = await maybe_future(super().check_allowed(username, authentication))  # type: ignore[misc]
        if not self.allow_workshop_grants:
            return bool(base)
        grant = await self.workshop_grant(username)
        decision = login_decision(bool(base), grant, self.workshop_clock())
        if grant is not None and decision.standing is not None and authentication is not None:
            await asyncio.to_thread(self._record, username, decision.standing)
            self.workshop_dates.remember(username, replace(grant, standing=decision.standing))
        if decision.by_grant:
            assert grant is not None
            until = human(grant_status(grant, self.workshop_clock()).since_or_until or as_utc(
                grant.workshop.ends_at))  # fmt: skip
            self.log.info(
                f"{username} logs in on a grant for workshop {grant.workshop.slug!r} "
                f"(until {until})"
            )
        if not decision.allowed and decision.message:
            self.log.info(f"Login refused for {username}: {decision.message}")
            raise web.HTTPError(403, decision.message)
        return decision.allowed

    async def refresh_user(self, user: Any, handler: Any = None, **kwargs: Any) -> Any:
        if self.allow_workshop_grants:
            grant = await self.workshop_grant(user.name)
            if not keeps_session(grant, self.workshop_clock()):
                self.log.info(f"{user.name}'s workshop grant has locked; ending the session")
                return False
        return await maybe_future(super().refresh_user(user, handler, **kwargs))  # type: ignore[misc]

    async def run_post_auth_hook(self, handler: Any, authentication: dict) -> dict:
        authentication = await maybe_future(
            super().run_post_auth_hook(handler, authentication)  # type: ignore[misc]
        )
        if not self.allow_workshop_grants or not authentication:
            return authentication
        name = authentication["name"]
        instructor = await asyncio.to_thread(self._instructs, name)
        groups = authentication.get("groups")
        if getattr(self, "manage_groups", False) and groups is not None:
            authentication["groups"] = with_instructors_group(
                groups, SERVICE_INSTRUCTORS_GROUP, instructor
            )
            return authentication
        user = handler.find_user(name) if handler is not None else None
        if user is None:
            if instructor:
                self._new_instructors.add(name)  # the hub makes the user next: add_user
        else:
            self._sync_instructors_group(user, instructor)
        return authentication

    def _sync_instructors_group(self, user: Any, instructor: bool) -> None:
        """Only the instructors group changes; the user's other groups stay as they are."""
        current = [g.name for g in user.groups]
        wanted = with_instructors_group(current, SERVICE_INSTRUCTORS_GROUP, instructor)
        if set(wanted) != set(current):
            self.log.info(
                f"{user.name} {'instructs' if instructor else 'no longer instructs'} a workshop"
            )
            user.sync_groups(wanted)

    async def add_user(self, user: Any) -> None:
        configured = user.name in self.allowed_users  # type: ignore[attr-defined]
        await maybe_future(super().add_user(user))  # type: ignore[misc]
        if user.name in self._new_instructors:
            self._new_instructors.discard(user.name)
            self._sync_instructors_group(user, True)
        if configured or user.name not in self.allowed_users:  # type: ignore[attr-defined]
            return
        if user.name in await asyncio.to_thread(self._guests):
            # a hub user only the grant created is not one of the hub's "existing users"
            self.allowed_users.discard(user.name)  # type: ignore[attr-defined]

    # --- the hub's home page ----------------------------------------------------------

    def workshop_servers(self, user: Any) -> list[dict[str, Any]]:
        """The user's workshop server with its dates, for share/hubtypes/templates/home.html.

        Called while the page renders (the hub's template_vars call it with the user): the
        grant comes from the cache the login and refresh reads fill, never a query here.
        """
        if user is None or not self.allow_workshop_grants:
            return []
        grant = self.workshop_dates.cached(user.name)
        if grant is None:
            return []
        now = self.workshop_clock()
        status = grant_status(grant, now)
        ws = grant.workshop
        server = "" if grant.standing is Standing.guest else workshop_server_name(ws.slug)
        base_url = getattr(self.parent, "base_url", "/")
        path = f"spawn/{user.name}/{server}" if server else f"spawn/{user.name}"
        return [
            {
                "slug": ws.slug,
                "title": ws.title or ws.slug,
                "server": server,
                "url": url_path_join(base_url, "hub", path),
                "opens": human(ws.starts_at),
                "locks": human(grant.expires_at or ws.ends_at),
                "purge": human(ws.delete_after),
                "opens_iso": as_utc(ws.starts_at).isoformat(),
                "locks_iso": as_utc(grant.expires_at or ws.ends_at).isoformat(),
                "purge_iso": as_utc(ws.delete_after).isoformat(),
                "status": status.state.value,
                "message": status.message,
            }
        ]


def _guest_dates(grant: GrantView | None) -> Dates | None:
    """A guest's dates (their access ends with the grant); a community member keeps their
    access, and their workshop server's dates are on the home page's card instead."""
    if grant is None or grant.standing is Standing.community:
        return None
    return account_dates(as_account(grant))


__all__ = ["WorkshopAccessMixin"]
