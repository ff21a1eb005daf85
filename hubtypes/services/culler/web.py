"""The culler's pages: a status page and its JSON for admins (HubOAuth), and ``/metrics``.

Who may look is decided from the identity the hub reports for the request's token or
cookie: hub admins, or tokens holding ``admin:users``; ``/metrics`` also accepts
``read:metrics`` (what a Prometheus scraper's token holds).
"""

from __future__ import annotations

import html
import json
from typing import Any

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado import web

from hubtypes.services.culler.metrics import CullerMetrics
from hubtypes.services.culler.sweep import Sweeper


def _may_see(model: dict[str, Any] | None, extra: str = "") -> bool:
    if not model:
        return False
    scopes = set(model.get("scopes") or ())
    return (
        bool(model.get("admin")) or "admin:users" in scopes or (extra in scopes if extra else False)
    )


class _Base(HubOAuthenticated, web.RequestHandler):
    def check_hub_user(self, model: dict[str, Any]) -> dict[str, Any] | None:
        # admins' and scrapers' tokens need no access:services!service=... scope
        if _may_see(model, "read:metrics"):
            return model
        return super().check_hub_user(model)  # type: ignore[no-any-return]

    @property
    def sweeper(self) -> Sweeper:
        return self.settings["sweeper"]  # type: ignore[no-any-return]

    def check(self, extra: str = "") -> None:
        if not _may_see(self.current_user, extra):
            raise web.HTTPError(403, "The culler's status is for hub admins")

    def status(self) -> dict[str, Any]:
        last = self.sweeper.last
        return {
            "dry_run": self.sweeper.dry_run,
            "policies": {k: vars(p) for k, p in self.sweeper.config.policies.items()},
            "last_sweep": last.as_dict() if last else None,
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
        s = self.status()
        last = s["last_sweep"]
        rows = []
        if last:
            for a in last["actions"]:
                rows.append(
                    f"<tr><td>{html.escape(a['user'])}</td><td>{html.escape(a['server'])}</td>"
                    f"<td>{a['kind']}</td><td>{a['action']}</td><td>{a['reason']}</td>"
                    f"<td>{'yes' if a['done'] else 'no'}</td></tr>"
                )
            due = [
                f"<tr><td>{html.escape(d['user'])}</td><td>{html.escape(d['server'])}</td>"
                f"<td>{d['kind']}</td><td>{d['reason']}</td><td>{_left(d['due_in'])}</td></tr>"
                for d in last["due"]
            ]
            summary = (
                f"<p>Last sweep {html.escape(last['started'])} took {last['duration']:.2f} s"
                f"{' (dry run: nothing changed)' if last['dry_run'] else ''}; "
                f"{last['users_seen']} users, running servers by kind: "
                f"{html.escape(json.dumps(last['running']))}; errors: {len(last['errors'])}.</p>"
            )
        else:
            due, summary = [], "<p>No sweep has run yet.</p>"
        policies = "".join(
            f"<tr><td>{k}</td><td>{p['idle_timeout']:g} s</td><td>{p['max_age']:g} s</td>"
            f"<td>{p['remove_named']}</td><td>{p['delete_user']}</td><td>{p['cull']}</td></tr>"
            for k, p in s["policies"].items()
        )
        usage = "".join(
            f"<tr><td>{u['day']}</td><td>{u['hub_type']}</td><td>{html.escape(u['workshop'])}"
            f"</td><td>{u['active_users']}</td><td>{u['server_hours']:g}</td></tr>"
            for u in s["usage"]
        )
        self.finish(
            "<!doctype html><html><head><title>Culler</title></head><body>"
            "<h1>hubtypes culler</h1>" + summary +
            "<h2>Culled in the last sweep</h2><table><tr><th>user</th><th>server</th>"
            "<th>kind</th><th>action</th><th>reason</th><th>done</th></tr>"
            + "".join(rows) + "</table><h2>Due next</h2><table><tr><th>user</th>"
            "<th>server</th><th>kind</th><th>state</th><th>culled in</th></tr>"
            + "".join(due) + "</table><h2>Policies</h2><table><tr><th>kind</th>"
            "<th>idle timeout</th><th>max age</th><th>remove named</th><th>delete user</th>"
            "<th>cull</th></tr>" + policies + "</table>"
            "<h2>Usage (kept when users are deleted)</h2><table><tr><th>day</th>"
            "<th>hub type</th><th>workshop</th><th>people</th><th>server hours</th></tr>"
            + usage + "</table>"
            '<p><a href="api/status">JSON</a> · <a href="metrics">metrics</a></p>'
            "</body></html>"
        )  # fmt: skip


class Metrics(_Base):
    def get(self) -> None:
        if not _may_see(self.get_current_user(), "read:metrics"):
            raise web.HTTPError(403, "metrics need a token with read:metrics")
        metrics: CullerMetrics = self.settings["metrics"]
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(generate_latest(metrics.registry))


def _left(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.0f} s"


def make_handlers(prefix: str) -> list[tuple[str, Any]]:
    return [
        (prefix, StatusPage),
        (prefix + "api/status", StatusJSON),
        (prefix + "metrics", Metrics),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
    ]
