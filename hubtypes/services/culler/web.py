"""The culler's pages: a status page and its JSON for admins (HubOAuth), and ``/metrics``.

Who may look is decided from the scopes the hub resolved for the request's token or
cookie (``GET /hub/api/user`` answers the token's own scopes), never from its owner's
``admin`` flag: an admin's narrow token (their server's, a ``read:users`` one) is narrow.
The status page and its JSON need ``list:users`` and ``read:users:activity`` (what they
show is who has servers and how idle they are, what those scopes let a token read from the
hub's API; an admin holds both, through ``admin:users``); ``/metrics`` also accepts
``read:metrics`` (what a Prometheus scraper's token holds). Only unfiltered scopes count
(``read:users:activity!user=x`` is not ``read:users:activity``). An admin's browser
session reaches the page because the service's ``oauth_client_allowed_scopes`` asks the
hub for these two (:data:`hubtypes.services.culler.hub_config.STATUS_SCOPES`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado import web

from hubtypes.services.culler import hub_config
from hubtypes.services.culler.metrics import CullerMetrics
from hubtypes.services.culler.sweep import Sweeper
from hubtypes.services.pages import hub_page_namespace

STATUS_SCOPES = tuple(hub_config.STATUS_SCOPES)
METRICS_SCOPE = "read:metrics"


def _may_see(model: dict[str, Any] | None, extra: str = "") -> bool:
    """Whether the token's own scopes hold every one of :data:`STATUS_SCOPES` (or ``extra``)."""
    if not model:
        return False
    scopes = set(model.get("scopes") or ())
    return scopes.issuperset(STATUS_SCOPES) or bool(extra and extra in scopes)


class _Base(HubOAuthenticated, web.RequestHandler):
    def check_hub_user(self, model: dict[str, Any]) -> dict[str, Any] | None:
        # admins' and scrapers' tokens need no access:services!service=... scope
        if _may_see(model, METRICS_SCOPE):
            return model
        return super().check_hub_user(model)  # type: ignore[no-any-return]

    @property
    def sweeper(self) -> Sweeper:
        return self.settings["sweeper"]  # type: ignore[no-any-return]

    def check(self, extra: str = "") -> None:
        if not _may_see(self.current_user, extra):
            raise web.HTTPError(
                403, "The culler's status needs a token with " + " and ".join(STATUS_SCOPES)
            )

    def status(self) -> dict[str, Any]:
        last = self.sweeper.last
        return {
            "dry_run": self.sweeper.dry_run,
            "policies": {k: vars(p) for k, p in self.sweeper.config.policies.items()},
            "last_sweep": last.as_dict() if last else None,
            # ticks since that sweep that did not need to list the hub's users
            "skipped_since": self.sweeper.quiet.skipped,
            "usage": self.sweeper.usage,  # daily, newest first; outlives deleted users
        }


class StatusJSON(_Base):
    @web.authenticated
    def get(self) -> None:
        self.check()
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.status(), default=str))


class StatusPage(_Base):
    @web.authenticated
    def get(self) -> None:
        self.check()
        model = self.current_user or {}
        namespace = hub_page_namespace(
            self.settings["service"],
            self.request,
            user=model.get("name"),
            admin=bool(model.get("admin")),  # the navigation's Admin link only
            services=[{"name": "Culler", "href": self.settings["service"].service_prefix}],
        )
        template = self.settings["jinja"].get_template("status.html")
        s = self.status()
        now = self.sweeper.clock()
        for d in (s["last_sweep"] or {}).get("due", []):
            # the time left now, which is less than at the sweep that found it
            at = d["due_at"] and datetime.fromisoformat(d["due_at"])
            d["left"] = None if not at else max(0.0, (at - now).total_seconds())
        self.set_header("Cache-Control", "no-store")
        self.finish(
            template.render(
                **namespace,
                last=s["last_sweep"],
                policies=s["policies"],
                usage=s["usage"],
                skipped=s["skipped_since"],
                duration=duration,
            )
        )


def duration(seconds: float) -> str:
    """``20 s``, ``45 min``, ``6 h``, ``1 d 12 h``: how a person reads a policy's times."""
    s = int(round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    if s < 2 * 86400:
        return f"{s // 3600} h" + (f" {s % 3600 // 60} min" if s % 3600 // 60 else "")
    return f"{s // 86400} d" + (f" {s % 86400 // 3600} h" if s % 86400 // 3600 else "")


class Metrics(_Base):
    def get(self) -> None:
        if not _may_see(self.get_current_user(), METRICS_SCOPE):
            raise web.HTTPError(
                403, f"metrics need a token with {METRICS_SCOPE}, or " + " and ".join(STATUS_SCOPES)
            )
        metrics: CullerMetrics = self.settings["metrics"]
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(metrics.registry))


def make_handlers(prefix: str) -> list[tuple[str, Any]]:
    return [
        (prefix, StatusPage),
        (prefix + "api/status", StatusJSON),
        (prefix + "metrics", Metrics),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
    ]


def log_request(handler: web.RequestHandler) -> None:
    # never log query strings: a ?token=... must not reach the log
    from tornado.log import access_log

    status = handler.get_status()
    request = handler.request
    message = f"{status} {request.method} {request.path} {1000 * request.request_time():.1f}ms"
    (access_log.warning if status >= 400 else access_log.debug)(message)
