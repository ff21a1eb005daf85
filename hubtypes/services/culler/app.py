"""The culler service: idle and age culling that knows community, workshop and binder users.

Run by the hub (see ``jupyterhub_config.d/40-hubtypes-culler.py``), or by hand:
``python -m hubtypes.services.culler`` / ``hubtypes-culler``; ``--generate-config`` writes
a commented config file (``-y`` to overwrite one). jupyterhub-idle-culler's options are
accepted with their meaning (``--timeout``, ``--cull-every``, ``--concurrency``,
``--max-age``, ``--cull-users``, ``--remove-named-servers``, ``--cull-admin-users``,
``--api-page-size``), booleans both bare and as ``=true``/``=false``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

from tornado import web
from traitlets import Any as AnyTrait
from traitlets import Bool, CaselessStrEnum, Dict, Float, Integer, List, Unicode, default

from hubtypes.clock import utcnow
from hubtypes.db.database import HubTypesDatabase
from hubtypes.lifecycle.culling import (
    DEFAULT_POLICIES,
    CullConfig,
    apply_legacy,
    make_config,
)
from hubtypes.records import AccountView
from hubtypes.services.base import HubServiceApp
from hubtypes.services.culler.hub_config import SERVICE_NAME
from hubtypes.services.culler.hubclient import CountingHubAPI
from hubtypes.services.culler.metrics import CullerMetrics
from hubtypes.services.culler.sweep import Sweeper
from hubtypes.storage.hub_types import HubType, ResolverConfig

# jupyterhub-idle-culler's command line, same names, same meaning
LEGACY_ALIASES = {
    "timeout": "CullerService.timeout",
    "cull-every": "CullerService.cull_every",
    "concurrency": "CullerService.concurrency",
    "max-age": "CullerService.max_age",
    "cull-users": "CullerService.cull_users",
    "remove-named-servers": "CullerService.remove_named_servers",
    "cull-admin-users": "CullerService.cull_admin_users",
    "api-page-size": "CullerService.api_page_size",
    "url": "HubServiceApp.hub_api_url",
}
BOOL_FLAGS = {
    "cull-users": ({"CullerService": {"cull_users": True}}, "Delete ephemeral users too."),
    "remove-named-servers": (
        {"CullerService": {"remove_named_servers": True}},
        "Remove culled named servers.",
    ),
    "cull-admin-users": (
        {"CullerService": {"cull_admin_users": True}},
        "Accepted for compatibility: admins are never deleted.",
    ),
    "dry-run": ({"CullerService": {"dry_run": True}}, "Log and report, change nothing."),
}


class CullerService(HubServiceApp):
    """Stops idle and over-age servers by hub type; deletes ephemeral users; reports."""

    name = "hubtypes-culler"
    service_name = SERVICE_NAME
    description = __doc__ or ""
    classes = [HubServiceApp, *HubServiceApp.classes]
    aliases = {
        **HubServiceApp.base_aliases,
        **LEGACY_ALIASES,
        **{k.replace("-", "_"): v for k, v in LEGACY_ALIASES.items()},
        "config": "CullerService.config_file",
        "dry-run": "CullerService.dry_run",
        "check-busy": "CullerService.check_busy",
        "stop-concurrency": "CullerService.stop_concurrency",
        "stop_concurrency": "CullerService.stop_concurrency",
    }
    flags = {
        **HubServiceApp.base_flags,
        **BOOL_FLAGS,
        **{k.replace("-", "_"): v for k, v in BOOL_FLAGS.items()},
    }

    # --- jupyterhub-idle-culler's options ---------------------------------------------
    timeout = Integer(
        None,
        allow_none=True,
        help="""Idle timeout in seconds for *every* kind of user (idle-culler's
        ``--timeout``). Default: unset, each kind's own (community and instructors 3600,
        workshop participants 1800, binder 600); `policies` still wins. E.g. 1800.""",
    ).tag(config=True)
    max_age = Integer(
        None,
        allow_none=True,
        help="""Max server age in seconds for every kind, culled even if active or busy
        (idle-culler's ``--max-age``; 0: no limit). Default: unset, each kind's own (binder
        21600, others none). E.g. 43200.""",
    ).tag(config=True)
    cull_users = Bool(
        None,
        allow_none=True,
        help="""idle-culler's ``--cull-users``: True lets workshop participants and binder
        users be deleted once their servers are gone, False deletes nobody. Community
        users and admins are never deleted. Default: unset (binder users are deleted).""",
    ).tag(config=True)
    remove_named_servers = Bool(
        None,
        allow_none=True,
        help="""Remove culled named servers instead of only stopping them, for every kind
        (idle-culler's ``--remove-named-servers``). Default: unset (binder removes).""",
    ).tag(config=True)
    cull_admin_users = Bool(
        False,
        help="""Accepted for compatibility with idle-culler's ``--cull-admin-users``; this
        culler never deletes an admin (their servers are culled like anyone's).""",
    ).tag(config=True)
    cull_every = Integer(
        0,
        help="""Seconds between sweeps (idle-culler's ``--cull-every``). Default 0: half the
        shortest idle timeout, between 10 and 300 s. E.g. 60.""",
    ).tag(config=True)
    concurrency = Integer(
        10,
        help="""Hub API requests in flight at once (idle-culler's ``--concurrency``, same
        meaning): listing, polls of stopping servers, user deletions, kernel checks. Stop
        requests are bounded by `stop_concurrency` instead. 429 answers are retried after
        their Retry-After. Default 10.""",
    ).tag(config=True)
    stop_concurrency = Integer(
        64,
        help="""Servers being stopped at once, each holding its slot until the server is
        gone (the hub holds a stop request until the spawner is done, up to 10 s, then
        answers 202 and the culler follows it). Stopping is mostly waiting for processes
        or pods to exit, so this can be much higher than `concurrency`, as
        ``c.WorkshopService.stop_concurrency``. Default 64; lower it if your spawner's
        backend (a Kubernetes API, a Docker daemon) struggles with many stops at once.""",
    ).tag(config=True)
    api_page_size = Integer(
        200, help="Users per page when listing (the hub's maximum is 200). Default 200."
    ).tag(config=True)

    # --- hubtypes' own ---------------------------------------------------------------
    policies = Dict(
        help="""Per-kind changes to the built-in policies. Kinds: ``community``,
        ``workshop-participant``, ``workshop-instructor``, ``binder``. Fields:
        ``idle_timeout`` and ``max_age`` (seconds; 0 max age = none), ``remove_named``,
        ``delete_user``, ``cull`` (booleans). E.g.
        ``{"binder": {"idle_timeout": 900}, "community": {"max_age": 86400}}``.""",
    ).tag(config=True)
    workshop_overrides = Dict(
        help="""Policy fields per workshop slug, e.g. ``{"gpu-course": {"idle_timeout":
        600}}`` (applies to that workshop's participants and instructors).""",
    ).tag(config=True)
    group_overrides = Dict(
        help="""Policy fields per hub group, applied after the workshop's, e.g.
        ``{"long-jobs": {"idle_timeout": 86400}}``.""",
    ).tag(config=True)
    profile_overrides = Dict(
        help="""Policy fields per profile (the server's ``user_options["profile"]``, e.g. a
        KubeSpawner ``profile_list`` slug), applied last, e.g. ``{"gpu": {"idle_timeout":
        900, "max_age": 28800}}``.""",
    ).tag(config=True)
    profiles = List(
        Unicode(),
        help="""The profile names that exist, to catch typos in `profile_overrides` at start.
        Default: empty (not checked). E.g. ``["small", "gpu"]``.""",
    ).tag(config=True)
    default_hub_type = CaselessStrEnum(
        [t.value for t in HubType],
        default_value="community",
        help="""The hub's type, as ``c.HubTypeSpawnerMixin.default_hub_type`` (the snippet
        copies it when it can see it). Default community.""",
    ).tag(config=True)
    unassigned_hub_type = CaselessStrEnum(
        ["community", "binder", "refuse"],
        default_value="community",
        help="As ``c.HubTypeSpawnerMixin.unassigned_hub_type``. Default community.",
    ).tag(config=True)
    dry_run = Bool(
        False,
        help="""Decide, log and report what would be culled, and change nothing.
        Default False; ``--dry-run`` to try a configuration.""",
    ).tag(config=True)
    skip_quiet = Bool(
        True,
        help="""Skip a sweep's listing of the hub's users when nothing can be due yet: the
        last listing's servers and users, decided again with today's policies and
        hubtypes' database, have nothing to cull, and no server started since can be due
        (the shortest idle timeout or max age has not passed since that listing). Culls
        never happen early this way, at most one sweep late for a server the listing
        missed. Default True; False lists every sweep, as jupyterhub-idle-culler does.""",
    ).tag(config=True)
    check_busy = Bool(
        True,
        help="""Before culling an idle server, ask its own API (through the proxy) whether
        a kernel is busy; a busy server is kept until its max age. Needs ``access:servers``
        (checked at start: without it the check is off). Default True.""",
    ).tag(config=True)
    proxy_url = Unicode(
        help="""Where the proxy serves single-user servers, for the busy check, e.g.
        ``http://proxy-public`` on Zero-to-JupyterHub. Default: ``$JUPYTERHUB_PUBLIC_URL``
        if set, else ``http://127.0.0.1:8000``.""",
    ).tag(config=True)

    @default("proxy_url")
    def _default_proxy_url(self) -> str:
        return os.environ.get("JUPYTERHUB_PUBLIC_URL") or "http://127.0.0.1:8000"

    stop_timeout = Float(
        300.0,
        help="""Seconds to wait for one user's servers to stop before counting an error (the
        next sweep tries again). Default 300.""",
    ).tag(config=True)
    clock = AnyTrait(utcnow, help="Callable returning the current aware UTC time (tests only).")

    # --- configuration -> pure inputs --------------------------------------------------

    def cull_config(self) -> CullConfig:
        """The validated policies; ValueError names ``c.CullerService.<trait>`` and the fix."""
        base = apply_legacy(
            DEFAULT_POLICIES,
            timeout=self.timeout,
            max_age=self.max_age,
            cull_users=self.cull_users,
            remove_named_servers=self.remove_named_servers,
        )
        if self.concurrency < 1:
            raise ValueError("c.CullerService.concurrency (--concurrency) must be 1 or more")
        if self.stop_concurrency < 1:
            raise ValueError(
                "c.CullerService.stop_concurrency (--stop-concurrency) must be 1 or more"
            )
        if not 1 <= self.api_page_size <= 200:
            raise ValueError("c.CullerService.api_page_size must be between 1 and 200")
        if self.cull_every < 0:
            raise ValueError("c.CullerService.cull_every must be 0 (automatic) or more seconds")
        return make_config(
            self.policies,
            by_workshop=self.workshop_overrides,
            by_group=self.group_overrides,
            by_profile=self.profile_overrides,
            base=base,
            profiles=self.profiles or None,
        )

    def interval(self, config: CullConfig) -> float:
        if self.cull_every:
            return float(self.cull_every)
        shortest = min(p.idle_timeout for p in config.policies.values())
        return max(10.0, min(300.0, shortest / 2))

    def resolver(self) -> ResolverConfig:
        return ResolverConfig(
            default_type=HubType(self.default_hub_type.lower()),
            unassigned=self.unassigned_hub_type.lower(),
        )

    def lookup(self) -> Any:
        db = HubTypesDatabase(parent=self).connect()

        def query(names: list[str]) -> dict[str, AccountView]:
            from hubtypes.db.queries.accounts import list_named

            found: dict[str, AccountView] = {}
            with db.session() as session:
                for i in range(0, len(names), 500):
                    for view in list_named(session, names[i : i + 500]):
                        found[view.username] = view
            return found

        async def lookup(names: list[str]) -> Mapping[str, AccountView]:
            return await asyncio.to_thread(query, names)

        return lookup

    def usage_recorder(self) -> Any:
        """Writes a sweep's usage to hubtypes' database; returns the last 14 days."""
        db = HubTypesDatabase(parent=self).connect()

        def write(entries: list[Any], now: Any) -> list[dict[str, Any]]:
            from datetime import timedelta

            from hubtypes.db.queries.usage import record_usage, usage_since
            from hubtypes.lifecycle.usage import days_to_keep_keys

            with db.session() as session:
                record_usage(session, entries, keep_keys_from=days_to_keep_keys(now))
                return usage_since(session, now.date() - timedelta(days=13))

        async def record(entries: list[Any], now: Any) -> list[dict[str, Any]]:
            return await asyncio.to_thread(write, entries, now)

        return record

    def build(self, config: CullConfig) -> tuple[web.Application, Sweeper]:
        from jupyterhub.services.auth import HubOAuth

        from hubtypes.services.culler.web import log_request, make_handlers

        HubOAuth.clear_instance()
        HubOAuth.instance(api_url=self.hub_api_url, api_token=self.api_token, cache_max_age=60)
        metrics = CullerMetrics()
        hub = CountingHubAPI(
            self.hub_api_url,
            self.api_token,
            concurrency=self.concurrency,
            stop_concurrency=self.stop_concurrency,
            timeout=60.0,
        )
        hub.metrics = metrics
        server_api = None
        if self.check_busy:
            server_api = CountingHubAPI(
                self.proxy_url, self.api_token, concurrency=self.concurrency, timeout=10.0,
                max_retries=0,
            )  # fmt: skip
        sweeper = Sweeper(
            hub,
            config,
            self.resolver(),
            self.lookup(),
            clock=self.clock,
            metrics=metrics,
            stop_concurrency=self.stop_concurrency,
            page_size=self.api_page_size,
            stop_timeout=self.stop_timeout,
            dry_run=self.dry_run,
            server_api=server_api,
            record_usage=self.usage_recorder(),
            usage_max_gap=2 * self.interval(config),
            skip_quiet=self.skip_quiet,
        )
        from hubtypes.services.pages import make_env

        settings: dict[str, Any] = {
            "sweeper": sweeper,
            "metrics": metrics,
            "service": self,
            "jinja": make_env("culler"),
            "cookie_secret": os.urandom(32),
            "log_function": log_request,
        }
        return web.Application(make_handlers(self.service_prefix), **settings), sweeper

    async def _check_scopes(self, sweeper: Sweeper) -> None:
        """Turn the busy check off when the token may not access servers (log it once)."""
        if sweeper.server_api is None:
            return
        try:
            me = await sweeper.hub.whoami(self.api_token)
        except Exception as e:  # the hub may be restarting: keep the check on
            self.log.info(f"Could not read this service's scopes ({e}); keeping the busy check")
            return
        scopes = set((me or {}).get("scopes") or ())
        if not any(s == "access:servers" or s.startswith("access:servers!") for s in scopes):
            self.log.info(
                "Busy-kernel check off: the culler's token lacks access:servers "
                "(see hubtypes.services.culler.hub_config.scopes)"
            )
            sweeper.server_api = None

    async def serve(self, stop: asyncio.Event) -> None:
        try:
            config = self.cull_config()
        except ValueError as e:
            self.log.critical(f"Bad culler configuration: {e}")
            self.exit(1)
        if self.cull_admin_users:
            self.log.info("--cull-admin-users is accepted but ignored: admins are never deleted")
        app, sweeper = self.build(config)
        server = self.listen(app)
        await self._check_scopes(sweeper)
        interval = self.interval(config)
        self.log.info(
            f"Culler at {self.service_prefix}: sweeping every {interval:.0f} s"
            f"{' (dry run)' if self.dry_run else ''}; busy check "
            f"{'on' if sweeper.server_api else 'off'}; policies "
            + ", ".join(
                f"{k} idle {p.idle_timeout:g}s age {p.max_age:g}s"
                f"{' delete' if p.delete_user else ''}"
                for k, p in config.policies.items()
            )
        )
        ticker = asyncio.create_task(self.every(interval, sweeper.sweep, stop, "Sweep"))
        await stop.wait()
        ticker.cancel()
        server.stop()
        sweeper.hub.close()


def main(argv: list[str] | None = None) -> None:
    CullerService.launch_instance(argv)
