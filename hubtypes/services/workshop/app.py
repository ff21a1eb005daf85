"""The workshop service: a managed service serving instructors' and admins' pages and a JSON API.

Run by the hub (see ``jupyterhub_config.d/30-hubtypes-workshop-service.py``), or by hand:
``python -m hubtypes.services.workshop`` / ``hubtypes-workshop-service``;
``--generate-config`` writes a commented config file (``-y`` to overwrite one).
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

from tornado import web
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Integer, List, TraitError, Unicode, validate

from hubtypes.access.names import (
    INSTRUCTORS_GROUP,
    WORKSHOP_GROUP,
    GroupNames,
    template_problem,
)
from hubtypes.clock import utcnow
from hubtypes.db.database import HubTypesDatabase
from hubtypes.hub.client import HubAPI
from hubtypes.inputs import Caps
from hubtypes.services.base import HubServiceApp
from hubtypes.services.workshop.grants import Grants, WorkshopGrants
from hubtypes.services.workshop.groups import GroupSync
from hubtypes.services.workshop.hub_config import SERVICE_NAME
from hubtypes.services.workshop.operations import Operations
from hubtypes.services.workshop.people import People
from hubtypes.services.workshop.resets import Resets


class WorkshopService(HubServiceApp):
    """Instructors create time-bound accounts; admins preview and run workshop resets."""

    name = "hubtypes-workshop-service"
    service_name = SERVICE_NAME
    description = __doc__ or ""
    classes = [HubServiceApp, WorkshopGrants, *HubServiceApp.classes]
    aliases = {
        **HubServiceApp.base_aliases,
        "config": "WorkshopService.config_file",
        "interval": "WorkshopService.lifecycle_interval",
    }
    flags = dict(HubServiceApp.base_flags)

    lifecycle_interval = Float(
        60.0,
        help="""Seconds between lifecycle passes: lock accounts whose lock time passed,
        purge workshops past their purge date, mirror each workshop in its hub group's
        properties. A pass also runs at start, so dates that passed while the service was
        down are caught up on. Default 60; e.g. 15 for a hub where locks must bite fast.""",
    ).tag(config=True)
    group_sync_interval = Float(
        2.0,
        help="""Seconds between passes that add participants who logged in to their
        workshop's hub group (one request per group, none when nothing changed; a pass also
        runs right after accounts are created). Logins no longer write groups, so this is how
        long a new participant can be missing from the group in the admin panel. Default 2;
        e.g. 10 on a hub where nobody watches the panel during logins.""",
    ).tag(config=True)
    group_sync_burst_delay = Float(
        30.0,
        help="""During a login burst (more than 10 logins within 2 s, a workshop's start),
        a participant's addition to their workshop group waits until the burst is over or
        their login is this many seconds old: the hub adds members on the event loop that
        logs people in (about 1 ms a name). Default 30; 0 adds members during bursts too.""",
    ).tag(config=True)
    concurrency = Integer(
        8,
        help="""Hub API requests a reset or a lock makes at once (deleting users, tokens).
        The hub does that work on one event loop, so more rarely helps; 429 answers are
        retried after their Retry-After. Default 8.""",
    ).tag(config=True)
    stop_concurrency = Integer(
        64,
        help="""Servers a reset or a lock stops at once. Stopping is mostly waiting for
        processes or pods to exit, so this can be much higher than `concurrency`.
        Default 64.""",
    ).tag(config=True)
    delete_concurrency = Integer(
        32,
        help="""The most users a reset deletes at once. It starts with one and adds one while
        the hub answers a trivial request within a quarter of a second, halving when an
        answer takes over a second, so the hub's event loop stays free for everyone else;
        many at once pay off where a deletion mostly waits (Kubernetes cleanup pods).
        Default 32.""",
    ).tag(config=True)
    stop_timeout = Float(
        120.0,
        help="""Seconds to wait for one user's servers to stop before the reset (or lock)
        fails; a failed reset is resumed by the next lifecycle pass. Default 120.""",
    ).tag(config=True)
    storage_root = Unicode(
        "",
        help="""The spawner mixin's local storage root (``c.HubTypeSpawnerMixin.storage_root``,
        e.g. ``/srv/hubtypes``), needed only when a reset is asked to remove the workshop's
        materials and shared folders. Empty (the default): those folders are kept and the
        audit log says so. Homes are removed by the hub itself (the spawner's
        ``delete_forever``), never by the service.""",
    ).tag(config=True)
    purge_includes_instructors = Bool(
        False,
        help="""Whether the automatic purge at a workshop's purge date also deletes its
        instructors (default: no; they are staff and often teach the next run).""",
    ).tag(config=True)
    workshop_group = Unicode(
        WORKSHOP_GROUP,
        help="""The hub group mirroring a workshop (``{slug}`` is its slug). Must match
        ``c.WorkshopAuthenticator.workshop_group``. Default ``workshop-{slug}``.""",
    ).tag(config=True)
    instructors_group = Unicode(
        INSTRUCTORS_GROUP,
        help="""The hub group of a workshop's instructors. Must match
        ``c.WorkshopAuthenticator.instructors_group``. Default ``workshop-{slug}-instructors``.""",
    ).tag(config=True)
    # --- what instructors may set (admins are not capped) ---------------------------
    max_workshop_days = Float(
        14.0,
        help="""The longest workshop (from opening to lock time), in days, an instructor
        may set when changing their workshop's dates. 0: no cap. A workshop an admin
        made longer keeps its length. Default 14.""",
    ).tag(config=True)
    max_grace_days = Float(
        30.0,
        help="""The longest grace period (from lock time to purge), in days, an instructor
        may set: they cannot keep a workshop's accounts and data around indefinitely
        (e.g. a purge date in 2099). 0: no cap. Default 30.""",
    ).tag(config=True)
    purge_notice_hours = Float(
        24.0,
        help="""The earliest purge an instructor may set, in hours from now: moving the
        purge date sooner than this (which would delete the workshop's accounts and
        homes then) is an admin action, recorded in the audit log as
        ``workshop.purge_advanced``. At least 1. Default 24.""",
    ).tag(config=True)
    instructors_may_add_instructors = Bool(
        True,
        help="""Whether an instructor may create instructor accounts in their workshop
        (default True); False leaves that to admins.""",
    ).tag(config=True)
    instructors_may_exceed_caps = Bool(
        False,
        help="""Whether instructors may set a workshop longer than `max_workshop_days` or
        a grace period longer than `max_grace_days` (default False). The purge notice
        always applies.""",
    ).tag(config=True)

    @validate("max_workshop_days", "max_grace_days")
    def _check_cap(self, proposal: Any) -> float:
        if proposal["value"] < 0:
            name = proposal["trait"].name
            raise TraitError(f"c.WorkshopService.{name} must be 0 (no cap) or more days")
        return float(proposal["value"])

    @validate("purge_notice_hours")
    def _check_notice(self, proposal: Any) -> float:
        if proposal["value"] < 1:
            raise TraitError(
                "c.WorkshopService.purge_notice_hours must be at least 1: an instructor must "
                "never be able to purge a workshop at once"
            )
        return float(proposal["value"])

    @validate("workshop_group", "instructors_group")
    def _check_group_template(self, proposal: Any) -> str:
        if problem := template_problem(proposal["value"]):
            raise TraitError(f"c.WorkshopService.{proposal['trait'].name}: {problem}")
        return str(proposal["value"])

    def initialize(self, argv: Any = None) -> None:
        """Load config; a bad cap or group template stops the service now, in one line."""
        try:
            super().initialize(argv)
            if not self.generate_config:
                self.group_names()
        except TraitError as e:
            self.log.critical(str(e))
            self.exit(1)

    def caps(self) -> Caps:
        def days(value: float) -> timedelta | None:
            return timedelta(days=value) if value > 0 else None

        return Caps(
            max_length=days(self.max_workshop_days),
            max_grace=days(self.max_grace_days),
            purge_notice=timedelta(hours=self.purge_notice_hours),
            may_exceed=self.instructors_may_exceed_caps,
            instructors_add_instructors=self.instructors_may_add_instructors,
        )

    def group_names(self) -> GroupNames:
        try:
            return GroupNames(self.workshop_group, self.instructors_group)
        except ValueError as e:
            raise TraitError(f"c.WorkshopService.workshop_group/instructors_group: {e}") from None

    extra_template_paths = List(
        Unicode(),
        help="""Directories searched for page templates before hubtypes' and the hub's own,
        e.g. ``["/etc/hubtypes/templates"]`` to restyle ``workshop.html``.""",
    ).tag(config=True)
    clock = AnyTrait(utcnow, help="Callable returning the current aware UTC time (tests only).")

    @validate("group_sync_interval")
    def _check_interval(self, proposal: Any) -> float:
        if proposal["value"] <= 0:
            name = proposal["trait"].name
            raise TraitError(f"c.WorkshopService.{name} must be more than 0 seconds")
        return float(proposal["value"])

    @validate("group_sync_burst_delay")
    def _check_burst_delay(self, proposal: Any) -> float:
        if proposal["value"] < 0:
            raise TraitError(
                "c.WorkshopService.group_sync_burst_delay must be 0 (never wait) or more seconds"
            )
        return float(proposal["value"])

    def build(self) -> tuple[web.Application, Resets]:
        """The tornado application and the resets runner (no I/O yet)."""
        from jupyterhub.services.auth import HubOAuth

        from hubtypes.services.pages import make_env
        from hubtypes.services.workshop.web.routes import make_handlers

        # the handlers' HubOAuthenticated uses this instance (client id, callback URL
        # and cookie names come from the hub's $JUPYTERHUB_* environment)
        HubOAuth.clear_instance()
        HubOAuth.instance(api_url=self.hub_api_url, api_token=self.api_token, cache_max_age=60)
        db = HubTypesDatabase(parent=self).connect()
        hub = HubAPI(
            self.hub_api_url,
            self.api_token,
            concurrency=self.concurrency,
            max_clients=self.concurrency + self.stop_concurrency + 4,
            timeout=max(60.0, self.stop_timeout),
        )
        ops = Operations(db, hub, self.clock, self.group_names(), self.caps())
        self.group_sync = GroupSync(
            ops,
            interval=self.group_sync_interval,
            reconcile_interval=self.lifecycle_interval,
            burst_delay=self.group_sync_burst_delay,
        )
        ops.accounts_created = self.group_sync.poke
        resets = Resets(
            ops,
            concurrency=self.concurrency,
            stop_concurrency=self.stop_concurrency,
            delete_concurrency=self.delete_concurrency,
            stop_timeout=self.stop_timeout,
            storage_root=self.storage_root,
            purge_includes_instructors=self.purge_includes_instructors,
        )
        # grants for identities the hub's own login lets in: locked and purged in each pass
        grants = Grants(ops, WorkshopGrants(parent=self).rules(), stop_timeout=self.stop_timeout)
        resets.extra_passes.append(grants.lifecycle_pass)
        settings: dict[str, Any] = {
            "ops": ops,
            "resets": resets,
            "grants": grants,
            "people": People(ops, resets),
            "service": self,
            "jinja": make_env("workshop", self.extra_template_paths),
            "cookie_secret": os.urandom(32),
            "xsrf_cookies": False,  # checked by the handlers once the user is known
            "log_function": _log_request,
        }
        return web.Application(make_handlers(self.service_prefix), **settings), resets

    async def serve(self, stop: asyncio.Event) -> None:
        app, resets = self.build()
        server = self.listen(app)
        self.log.info(f"Workshops at {self.service_prefix} (hub API {self.hub_api_url})")
        await resets.resume_all()
        ticker = asyncio.create_task(
            self.every(self.lifecycle_interval, resets.lifecycle_pass, stop, "Lifecycle pass")
        )
        syncer = asyncio.create_task(self.group_sync.run(stop))
        await stop.wait()
        ticker.cancel()
        syncer.cancel()
        server.stop()
        resets.ops.hub.close()


def _log_request(handler: web.RequestHandler) -> None:
    # never log query values but a few harmless ones: a ?token=... must not reach the log
    from tornado.log import access_log

    from hubtypes.services.workshop.web.base import redact_uri

    status = handler.get_status()
    request = handler.request
    uri = redact_uri(request.uri or request.path)
    message = f"{status} {request.method} {uri} {1000 * request.request_time():.1f}ms"
    (access_log.warning if status >= 400 else access_log.debug)(message)


def main(argv: list[str] | None = None) -> None:
    WorkshopService.launch_instance(argv)
