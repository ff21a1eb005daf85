"""WorkshopAuthenticator: access-code logins for time-bound workshop accounts.

A login's database transaction runs on the hub's event loop when hubtypes' database is
SQLite and nobody else is writing to it (a fraction of a millisecond, like the hub's own
queries), else in a worker thread (``asyncio.to_thread``), so a burst of logins at the
start of a workshop never leaves the loop waiting for a lock or a database server
(``sqlite_on_event_loop``).

Works on JupyterHub 5.5 and 6.x alike: a locked account's session, API tokens and the
hub's answers to its servers end at the next auth refresh on both (see
``HAS_STRICT_REFRESH``), and the workshop service's lock stops its servers and deletes its
tokens (docs/installing.md states the window that remains).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from typing import Any

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Any as AnyTrait
from traitlets import Bool, Integer, TraitError, Unicode, default, validate

from hubtypes._data import insert_templates
from hubtypes.access import throttle
from hubtypes.access.address import client_address
from hubtypes.access.codes import DUMMY_HASH, verify_code
from hubtypes.access.dates import account_dates, notice, refusal
from hubtypes.access.ended import ended_message, ended_workshop_of
from hubtypes.access.expiry import account_status
from hubtypes.access.names import INSTRUCTORS_GROUP, WORKSHOP_GROUP
from hubtypes.auth.access_mixin import stop_on_spawner_config_problems
from hubtypes.auth.dates_api import ROUTE as DATES_ROUTE
from hubtypes.auth.dates_api import DatesHandler
from hubtypes.auth.deleting import OneDeletionAtATime
from hubtypes.auth.login_page import (
    WorkshopLoginHandler,
    clear_ended_notice,
    leave_ended_notice,
)
from hubtypes.auth.participant import database_call, participant_dates, session_check
from hubtypes.auth.refusals import GENERIC_FAILURE, Refusal
from hubtypes.clock import utcnow
from hubtypes.db.database import Database, DatabaseError, HubTypesDatabase
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import delete_account
from hubtypes.records import AccountView

# `Authenticator.auth_refresh_strict` arrived in JupyterHub 6.1 (default False there).
# Before 6.1 a failed refresh_user already refused token-authenticated requests too
# (jupyterhub/handlers/base.py `refresh_auth` in 5.5.1), which is what strict mode does.
HAS_STRICT_REFRESH = "auth_refresh_strict" in Authenticator.class_trait_names()


class WorkshopAuthenticator(OneDeletionAtATime, Authenticator):
    """Log in with a username and an access code created for a workshop."""

    username_label = Unicode(
        "Username:",
        help="""Label of the login form's username field. Default ``"Username:"``;
        e.g. ``"Participant name:"``.""",
    ).tag(config=True)
    code_label = Unicode(
        "Access code:",
        help="""Label of the login form's access-code field (the code replaces a
        password). Default ``"Access code:"``.""",
    ).tag(config=True)
    code_placeholder = Unicode(
        "xxxx-xxxx-xxxx-xxxx",
        help="""Placeholder shown in the empty access-code field, showing the code's
        shape. Default ``"xxxx-xxxx-xxxx-xxxx"``; empty shows none.""",
    ).tag(config=True)
    login_help = Unicode(
        "Use the username and access code your instructor gave you.",
        help="""Help text shown above the login form, as plain text (HTML is escaped).
        Empty hides it. E.g. ``"Codes are on the card on your desk."``.""",
    ).tag(config=True)

    user_failure_limit = Integer(
        5,
        help="""Failed logins for one username from one client address within
        `throttle_window` seconds after which that address may not try that name again
        (even with the right code) until the window ends. The participant at their own
        desk is not locked out by someone guessing their name elsewhere. Default 5;
        0 disables this limit.""",
    ).tag(config=True)
    name_failure_limit = Integer(
        20,
        help="""Failed logins for one username from all addresses together within
        `throttle_window` seconds (guessing spread over many addresses) after which every
        address that has failed for the name is refused, and an address that has not
        may log in with the right code only. Default 20; 0 disables this limit.""",
    ).tag(config=True)
    address_failure_limit = Integer(
        50,
        help="""Failed logins from one client address within `throttle_window` seconds
        after which further attempts from it are refused. A classroom often shares one
        address behind NAT, so keep this well above the room's typing mistakes.
        Default 50; 0 disables this limit.""",
    ).tag(config=True)
    throttle_window = Integer(
        300,
        help="""Length of the throttling window, in seconds, counted from a key's first
        failure; counters older than that are forgotten. Default 300 (5 minutes).""",
    ).tag(config=True)
    trusted_proxy_hops = Integer(
        1,
        help="""How many proxies in front of the hub append the address they saw to
        ``X-Forwarded-For``; the client address logins are throttled by is the entry the
        farthest of them wrote. Default 1: configurable-http-proxy's own entry, the
        right-most one. Set 2 when an ingress or load balancer that appends to
        ``X-Forwarded-For`` stands in front of the proxy (e.g. ingress-nginx on
        Zero-to-JupyterHub), 0 when clients reach the hub with no proxy (the connection's
        address is used). ``X-Real-Ip`` and entries beyond the trusted hops are sent by
        clients and never used. Too high a number lets clients pick their address.""",
    ).tag(config=True)

    workshop_group = Unicode(
        WORKSHOP_GROUP,
        help="""JupyterHub group a workshop's participants and instructors are put in
        (``{slug}`` is replaced by the workshop's slug), so RBAC filters like
        ``!group=workshop-py`` and the admin panel see the workshop: instructors at
        login, participants by the workshop service within seconds of their first
        login. Must match
        ``c.WorkshopService.workshop_group``. Default ``"workshop-{slug}"``.""",
    ).tag(config=True)
    instructors_group = Unicode(
        INSTRUCTORS_GROUP,
        help="""JupyterHub group a workshop's instructors are also put in (``{slug}`` as
        above). Must match ``c.WorkshopService.instructors_group``. Default
        ``"workshop-{slug}-instructors"``.""",
    ).tag(config=True)
    sqlite_on_event_loop = Bool(
        True,
        help="""Run a login's and a session refresh's transaction on the hub's event loop
        when hubtypes' database is SQLite, as the hub runs its own queries: under a burst
        of returning logins that is about 1.3x the logins per second of a worker thread,
        whose hand-overs of the interpreter lock cost more than the query. The loop never
        waits there for another process's write: such a call moves to a worker thread.
        Default True; set False for a SQLite file on a network file system, whose reads
        can be slow. A database server (PostgreSQL) is always called from a worker
        thread.""",
    ).tag(config=True)
    reject_unknown_users = Bool(
        True,
        help="""End the session of a hub user who has no hubtypes account (e.g. one whose
        account a reset removed) at their next auth refresh (`auth_refresh_age`).
        Default True; set False only on a hub that also logs people in another way.""",
    ).tag(config=True)

    @validate("user_failure_limit", "name_failure_limit", "address_failure_limit")
    def _check_limit(self, proposal: Any) -> int:
        if proposal["value"] < 0:
            name = proposal["trait"].name
            raise TraitError(f"c.WorkshopAuthenticator.{name} must be 0 (off) or more")
        return int(proposal["value"])

    @validate("trusted_proxy_hops")
    def _check_hops(self, proposal: Any) -> int:
        if not 0 <= proposal["value"] <= 10:
            raise TraitError(
                "c.WorkshopAuthenticator.trusted_proxy_hops must be 0 (no proxy) to 10; "
                "1 (configurable-http-proxy alone) is right for most hubs"
            )
        return int(proposal["value"])

    @validate("throttle_window")
    def _check_window(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise TraitError("c.WorkshopAuthenticator.throttle_window must be at least 1 second")
        return int(proposal["value"])

    @validate("workshop_group", "instructors_group")
    def _check_group_template(self, proposal: Any) -> str:
        if "{slug}" not in proposal["value"]:
            name = proposal["trait"].name
            raise TraitError(
                f"c.WorkshopAuthenticator.{name} must contain {{slug}}, e.g. 'workshop-{{slug}}'"
            )
        return str(proposal["value"])

    clock = AnyTrait(
        utcnow,
        help="""Callable returning the current time as an aware UTC datetime. Only tests
        change it (to move a real hub's notion of "now" forward).""",
    ).tag(config=True)

    @default("manage_groups")
    def _default_manage_groups(self) -> bool:
        return True

    @default("auth_refresh_age")
    def _default_refresh_age(self) -> int:
        # a locked account loses its session within a minute
        return 60

    if HAS_STRICT_REFRESH:
        # JupyterHub 6.1+: refuse token-authenticated requests (API tokens, the user's
        # servers asking the hub) of a locked account too, not only its cookie session.
        # Set here, not in config, so a 5.5 hub never logs "Config option not recognized".
        @default("auth_refresh_strict")
        def _default_refresh_strict(self) -> bool:
            return True

    @default("any_allow_config")
    def _default_any_allow(self) -> bool:
        # who may log in is decided by hubtypes' accounts, not by allow lists
        return True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_prune: datetime | None = None
        # hub users whose deletion is under way (the hub's cached User objects: a user
        # deleted and then created again is a new object)
        self._add_template_path()
        stop_on_spawner_config_problems(self)  # the spawner's settings, now, not at a spawn
        try:
            self.database: Database = HubTypesDatabase(parent=self).connect()
        except DatabaseError as e:
            # like JupyterHub for its own database: say what to do, and stop
            self.log.critical(str(e))
            sys.exit(1)
        self.dates = participant_dates(self)  # the hub pages' dates (auth/page_dates.py)

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        # the login page that shows a refused participant's dates (auth/login_page.py);
        # the dates as JSON for hubtypes' JupyterLab extension (auth/dates_api.py)
        return [("/login", WorkshopLoginHandler), (DATES_ROUTE, DatesHandler)]

    def _add_template_path(self) -> None:
        """Serve our login.html: after the operator's own templates, before the stock ones."""
        paths = getattr(self.parent, "template_paths", None)
        if isinstance(paths, list):
            stock = os.path.join(getattr(self.parent, "data_files_path", ""), "templates")
            insert_templates(paths, stock)

    # --- login ------------------------------------------------------------------

    def _groups(self, view: AccountView) -> list[str] | None:
        """The groups the hub syncs at this login; None: leave this user's groups alone.

        A participant's workshop group is the workshop service's to fill, in bulk, a few
        seconds after the first login (``c.WorkshopService.group_sync_interval``): the hub's
        ``sync_groups`` at each login (a group query and one more commit) cost a quarter of
        the login throughput. ``None``, not a missing key: with ``manage_groups`` on, the hub
        refuses an auth model without ``groups`` (``auth_to_user`` raises ValueError) and
        skips the sync for ``None`` (jupyterhub/handlers/base.py, 5.5.1 and 6.1.1 alike).
        Instructors still get theirs at login: ``hubtypes-instructors`` carries their role
        (hub_config.py's post-auth hook adds it), and they need it at once.
        """
        if view.role == "participant" and view.workshop is not None:
            return None
        if view.workshop is None or view.role == "admin":
            return []
        groups = [self.workshop_group.format(slug=view.workshop.slug)]
        if view.role == "instructor":
            groups.append(self.instructors_group.format(slug=view.workshop.slug))
        return groups

    def _limits(self) -> throttle.Limits:
        return throttle.Limits(
            name_and_address=self.user_failure_limit,
            address=self.address_failure_limit,
            name=self.name_failure_limit,
            window=timedelta(seconds=self.throttle_window),
        )

    def _check_login(self, username: str, code: str, address: str) -> dict | Refusal:
        """One transaction: throttle, verify, check expiry, record the outcome.

        The counters are locked first, so concurrent attempts for one key are counted
        one after the other: exactly the limit is ever verified within a window.
        """
        now = self.clock()
        limits = self._limits()
        keys = throttle.login_keys(username, address)
        with self.database.connection() as conn:
            logins.lock_counters(conn, keys.all())
            counters = logins.throttle_counters(conn, keys.all())
            verdict = throttle.decide(counters, keys, limits, now=now)
            if verdict.wait is not None and not verdict.right_code_only:
                return self._too_many(verdict.wait)
            found = logins.account_for_login(conn, username)
            view, stored_hash = found if found else (None, DUMMY_HASH)
            # verify even for unknown names: timing must not reveal which exist
            if not verify_code(code, stored_hash) or view is None:
                # a name already over its limit is not counted further: its counter
                # holds exactly the limit, the pair and the address hold the rest
                counted = [
                    k for k in keys.all() if not (verdict.right_code_only and k == keys.name)
                ]
                for key in counted:
                    logins.record_failure(conn, key, window=limits.window, now=now)
                self._prune_stale_counters(conn, limits.window, now)
                if verdict.wait is not None:  # right code only, and this one was wrong
                    return self._too_many(verdict.wait)
                # by the name's shape alone, never by the account (access/ended.py)
                ended = ended_workshop_of(username, logins.known_workshops(conn))
                return Refusal(403, ended_message(ended) if ended else GENERIC_FAILURE)
            self.dates.remember(username, view)
            status = account_status(view, now)
            if not status.can_log_in:
                dates = account_dates(view)
                shown = notice(dates, now, timedelta(0))
                return Refusal(403, refusal(status, dates, now), dates=shown)
            logins.record_login(
                conn,
                username,
                now,
                clear_throttle=keys.name in counters,
                forget=[keys.pair] if keys.pair in counters else [],
            )
        return {"name": username, "admin": view.role == "admin", "groups": self._groups(view)}

    @staticmethod
    def _too_many(wait: timedelta) -> Refusal:
        return Refusal(
            429,
            f"Too many attempts; try again in {throttle.describe_wait(wait)}.",
            max(1, int(wait.total_seconds())),
        )

    def _prune_stale_counters(self, conn: Any, window: timedelta, now: datetime) -> None:
        """Now and then, drop counters whose window is over, so the table stays small."""
        if self._last_prune is None or now - self._last_prune >= window:
            self._last_prune = now
            logins.prune_throttle(conn, window=window, now=now)

    def client_address(self, handler: web.RequestHandler | None) -> str:
        """The address to throttle by: what the trusted proxies recorded, never what the
        client claims (tornado's ``remote_ip`` honours ``X-Real-Ip``; see
        :mod:`hubtypes.access.address`)."""
        if handler is None:
            return ""
        request = handler.request
        context = getattr(request.connection, "context", None)
        peer = getattr(context, "address", None)
        peer_ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        forwarded = ",".join(request.headers.get_list("X-Forwarded-For"))
        return client_address(forwarded, peer_ip, self.trusted_proxy_hops)

    async def authenticate(self, handler: web.RequestHandler, data: dict) -> dict | None:
        username = self.normalize_username((data.get("username") or "").strip())
        code = data.get("password") or ""
        if not username or not code:
            raise web.HTTPError(403, GENERIC_FAILURE)
        address = self.client_address(handler)
        result = await database_call(self, self._check_login, username, code, address)
        if isinstance(result, Refusal):
            self.log.info(f"Login refused for {username[:64]!r} from {address}: {result.message}")
            if result.retry_after is not None and handler is not None:
                handler.set_header("Retry-After", str(result.retry_after))
            error = web.HTTPError(result.status, result.message)
            error.hubtypes_dates = result.dates  # type: ignore[attr-defined]
            raise error
        clear_ended_notice(handler)
        return dict(result)

    def check_allowed(self, username: str, authentication: dict | None = None) -> bool:
        # authenticate() already checked the account exists and may log in now
        return authentication is not None or super().check_allowed(username, authentication)

    # --- sessions -----------------------------------------------------------------

    async def refresh_user(self, user: Any, handler: Any = None) -> bool:
        """False once the account is locked or its code reissued, so the hub ends its
        sessions; the login page the browser is sent to then says why (auth/login_page.py)."""
        view, valid, why = await database_call(
            self, session_check, self.database, user.name, self.clock(), self.reject_unknown_users
        )
        self.dates.remember(user.name, view)
        if valid is False:
            self.log.info(f"Workshop account {user.name!r} is no longer valid; ending its session")
            if why is not None:
                leave_ended_notice(handler, why)
        return bool(valid)

    def _delete_account(self, username: str) -> None:
        with self.database.session() as session:
            delete_account(session, username, actor="hub", now=self.clock())

    async def delete_user(self, user: Any) -> None:
        """The hub deleted the user: delete the account (and with it, the code).

        The hub awaits this (``maybe_future``), so the database work goes to a
        thread like every other query here.
        """
        self.refuse_second_deletion(user)  # see hubtypes.auth.deleting
        super().delete_user(user)
        await asyncio.to_thread(self._delete_account, user.name)
        self.dates.forget(user.name)
