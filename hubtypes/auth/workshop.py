"""WorkshopAuthenticator: access-code logins for time-bound workshop accounts.

Every database call runs in a worker thread (``asyncio.to_thread``), so a burst
of logins at the start of a workshop never blocks the hub's event loop.

Works on JupyterHub 5.5 and 6.x alike: a locked account's session, API tokens and the
hub's answers to its servers end at the next auth refresh on both (see
``HAS_STRICT_REFRESH``), and the workshop service's lock stops its servers and deletes its
tokens (docs/installing.md states the window that remains).
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jupyterhub.auth import Authenticator
from sqlalchemy.exc import IntegrityError, OperationalError
from tornado import web
from traitlets import Any as AnyTrait
from traitlets import Bool, Integer, TraitError, Unicode, default, validate

from hubtypes._data import insert_templates
from hubtypes.access import throttle
from hubtypes.access.codes import DUMMY_HASH, verify_code
from hubtypes.access.expiry import account_status
from hubtypes.access.names import INSTRUCTORS_GROUP, WORKSHOP_GROUP
from hubtypes.clock import utcnow
from hubtypes.db.database import Database, DatabaseError, HubTypesDatabase
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import delete_account
from hubtypes.records import AccountView
from hubtypes.storage.hub_types import config_problems

GENERIC_FAILURE = "Invalid username or access code."

# `Authenticator.auth_refresh_strict` arrived in JupyterHub 6.1 (default False there).
# Before 6.1 a failed refresh_user already refused token-authenticated requests too
# (jupyterhub/handlers/base.py `refresh_auth` in 5.5.1), which is what strict mode does.
HAS_STRICT_REFRESH = "auth_refresh_strict" in Authenticator.class_trait_names()


@dataclass(frozen=True)
class _Refusal:
    status: int
    message: str
    retry_after: int | None = None


class WorkshopAuthenticator(Authenticator):
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
        help="""Failed logins for one username within `throttle_window` seconds after
        which further attempts for that name are refused, even with the right code,
        until the window ends. Default 5; 0 disables this limit.""",
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
    reject_unknown_users = Bool(
        True,
        help="""End the session of a hub user who has no hubtypes account (e.g. one whose
        account a reset removed) at their next auth refresh (`auth_refresh_age`).
        Default True; set False only on a hub that also logs people in another way.""",
    ).tag(config=True)

    @validate("user_failure_limit", "address_failure_limit")
    def _check_limit(self, proposal: Any) -> int:
        if proposal["value"] < 0:
            name = proposal["trait"].name
            raise TraitError(f"c.WorkshopAuthenticator.{name} must be 0 (off) or more")
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
        self._add_template_path()
        self._check_spawner_config()
        try:
            self.database: Database = HubTypesDatabase(parent=self).connect()
        except DatabaseError as e:
            # like JupyterHub for its own database: say what to do, and stop
            self.log.critical(str(e))
            sys.exit(1)

    def _check_spawner_config(self) -> None:
        """Check the spawner mixin's settings now, at hub start, not at a first spawn."""
        config = getattr(self.parent, "config", None) or self.config
        problems = config_problems(config.get("HubTypeSpawnerMixin", {}))
        for problem in problems:
            self.log.critical(f"hubtypes: {problem}")
        if problems:
            sys.exit(1)

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

    def _check_login(self, username: str, code: str, address: str) -> dict | _Refusal:
        """One transaction: throttle, verify, check expiry, record the outcome."""
        now = self.clock()
        window = timedelta(seconds=self.throttle_window)
        keys = [(logins.user_key(username), self.user_failure_limit)]
        if address:
            keys.append((logins.ip_key(address), self.address_failure_limit))
        with self.database.connection() as conn:
            counters = logins.throttle_counters(conn, [key for key, _ in keys])
            for key, limit in keys:
                wait = throttle.blocked_for(counters.get(key), limit=limit, window=window, now=now)
                if wait is not None:
                    return _Refusal(
                        429,
                        f"Too many attempts; try again in {throttle.describe_wait(wait)}.",
                        max(1, int(wait.total_seconds())),
                    )
            found = logins.account_for_login(conn, username)
            view, stored_hash = found if found else (None, DUMMY_HASH)
            # verify even for unknown names: timing must not reveal which exist
            if not verify_code(code, stored_hash) or view is None:
                for key, _limit in keys:
                    logins.record_failure(conn, key, window=window, now=now)
                self._prune_stale_counters(conn, window, now)
                return _Refusal(403, GENERIC_FAILURE)
            status = account_status(view, now)
            if not status.can_log_in:
                return _Refusal(403, status.message)
            logins.record_login(conn, username, now, clear_throttle=keys[0][0] in counters)
        return {"name": username, "admin": view.role == "admin", "groups": self._groups(view)}

    def _prune_stale_counters(self, conn: Any, window: timedelta, now: datetime) -> None:
        """Now and then, drop counters whose window is over, so the table stays small."""
        if self._last_prune is None or now - self._last_prune >= window:
            self._last_prune = now
            logins.prune_throttle(conn, window=window, now=now)

    async def authenticate(self, handler: web.RequestHandler, data: dict) -> dict | None:
        username = self.normalize_username((data.get("username") or "").strip())
        code = data.get("password") or ""
        if not username or not code:
            raise web.HTTPError(403, GENERIC_FAILURE)
        # behind the proxy, tornado's remote_ip is the client's (X-Forwarded-For)
        address = (handler.request.remote_ip or "") if handler is not None else ""
        for attempt in range(3):
            try:
                result = await asyncio.to_thread(self._check_login, username, code, address)
                break
            except (IntegrityError, OperationalError):
                # two failures for one new key at once, or a busy SQLite: try again
                if attempt == 2:
                    raise
        if isinstance(result, _Refusal):
            self.log.info(f"Login refused for {username!r} from {address}: {result.message}")
            if result.retry_after is not None and handler is not None:
                handler.set_header("Retry-After", str(result.retry_after))
            raise web.HTTPError(result.status, result.message)
        return result

    def check_allowed(self, username: str, authentication: dict | None = None) -> bool:
        # authenticate() already checked the account exists and may log in now
        return authentication is not None or super().check_allowed(username, authentication)

    # --- sessions -----------------------------------------------------------------

    def _still_valid(self, username: str) -> bool:
        with self.database.connection() as conn:
            found = logins.account_for_login(conn, username)
        view = found[0] if found else None
        if view is None:
            return not self.reject_unknown_users
        return account_status(view, self.clock()).can_log_in

    async def refresh_user(self, user: Any, handler: Any = None) -> bool:
        """False once the account is locked, so the hub ends its sessions."""
        valid = await asyncio.to_thread(self._still_valid, user.name)
        if valid is False:
            self.log.info(f"Workshop account {user.name!r} is no longer valid; ending its session")
        return valid

    def _delete_account(self, username: str) -> None:
        with self.database.session() as session:
            delete_account(session, username, actor="hub", now=self.clock())

    async def delete_user(self, user: Any) -> None:
        """The hub deleted the user: delete the account (and with it, the code).

        The hub awaits this (``maybe_future``), so the database work goes to a
        thread like every other query here.
        """
        super().delete_user(user)
        await asyncio.to_thread(self._delete_account, user.name)
