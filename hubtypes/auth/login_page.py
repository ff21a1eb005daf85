"""The hub's login page for workshop participants: their dates when a login is refused, and
why they are back at the login page when the lock ended their session.

How a participant gets here after the lock (read from JupyterHub's source, 5.5.1 and 6.1.1):
the workshop service stops the server; JupyterLab's polls get 424 from the hub and it offers
"Restart", which opens ``/hub/spawn``; the hub refreshes the user's auth first
(``BaseHandler.get_current_user`` → ``refresh_auth`` → ``refresh_user``), our ``refresh_user``
says False, the page redirects to ``/hub/login`` and the login page would say nothing. So
``refresh_user`` leaves the reason in a signed cookie (and on the handler, for the login page
itself) and this handler, registered by ``Authenticator.get_handlers`` in place of the stock
``/login`` (jupyterhub/app.py ``init_handlers`` puts the authenticator's routes first),
shows it: the access ended, when the files are deleted, what to do.

JupyterLab itself is sent here too: once the session has ended, its polls of the stopped
server (``/user/NAME/api/kernels``...) reach the hub, whose ``@web.authenticated`` redirects
them to ``/hub/login``; fetch follows, gets this HTML page and JupyterLab says nothing, as if
the server still ran. So a poll of a server's API that arrives here (not a navigation:
``Sec-Fetch-Mode``) after a lock gets 424, what the hub answers for a stopped server
(``UserUrlHandler._fail_api_request``), with a marker hubtypes' JupyterLab extension
(``share/jupyter/labextensions/hubtypes-lab``) reads to send the tab to this page. Without
that extension JupyterLab shows its "Server unavailable or unreachable" dialog, whose
"Restart" opens ``/hub/spawn`` in a new tab: this page too, saying why.

A refused login's dates travel on the ``HTTPError`` (``hubtypes_dates``): the hub renders a
refusal on the login form through ``LoginHandler.render_template`` with the exception in the
namespace (``BaseHandler.write_error``), which :meth:`_render` reads.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers.login import LoginHandler

from hubtypes.access.dates import Dates, notice

ENDED_COOKIE = "hubtypes-access-ended"
ENDED_DAYS = 14  # long enough to cover a workshop's grace period
# where a poll of a single-user server's API came from (the hub's ?next=)
_SERVER_API = re.compile(r"/user/[^/]+/(?:[^?]*/)?api/")


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def ended_payload(dates: Dates | None, ended_workshop: str = "") -> dict[str, str]:
    """What the cookie carries: the dates of the account that locked, or the title of the
    purged workshop the name belonged to (the account itself is gone)."""
    if dates is None:
        return {"ended_workshop": ended_workshop}
    return {
        "title": dates.title,
        "ends": _iso(dates.ends),
        "deleted_after": _iso(dates.deleted_after),
    }


def leave_ended_notice(handler: Any, payload: dict[str, str]) -> None:
    """Keep why the session ended for the login page this browser is sent to next."""
    if handler is None or isinstance(handler, APIHandler):
        return  # a server's or a script's request: no browser will show a login page
    handler._hubtypes_ended = payload
    try:
        handler.set_secure_cookie(
            ENDED_COOKIE,
            json.dumps(payload),
            expires_days=ENDED_DAYS,
            path=handler.hub.base_url,
            httponly=True,
            secure=handler.request.protocol == "https",
        )
    except Exception as e:  # no cookie secret (a test double): the page says less, that's all
        handler.log.debug(f"hubtypes: cannot set {ENDED_COOKIE}: {e}")


def clear_ended_notice(handler: Any) -> None:
    """Forget why a session ended, at the next login of a browser that has the notice
    (most have none: no Set-Cookie header for them)."""
    if handler is None or isinstance(handler, APIHandler):
        return
    if ENDED_COOKIE in handler.request.cookies:
        handler.clear_cookie(ENDED_COOKIE, path=handler.hub.base_url)


def _parse(payload: dict[str, Any]) -> Dates:
    def when(key: str) -> datetime | None:
        value = payload.get(key) or ""
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError:
            return None

    return Dates(
        title=str(payload.get("title") or ""),
        ends=when("ends"),
        deleted_after=when("deleted_after"),
    )


class WorkshopLoginHandler(LoginHandler):
    """The stock login page with ``hubtypes_login_dates`` and ``hubtypes_session_ended``."""

    async def get(self) -> None:
        if self._polled_by_a_stopped_server():
            self.set_status(424)  # what JupyterLab takes for "your server is not running"
            self.set_header("Content-Type", "application/json")
            # "hubtypes" and "next": for hubtypes' JupyterLab extension (hubtypes-lab), which
            # sends the tab to the login page, where this browser reads why
            body = {
                "message": "Your workshop access has ended.",
                "hubtypes": "access-ended",
                "next": self.hub.base_url + "login",
            }
            self.finish(json.dumps(body))
            return
        await super().get()

    def _polled_by_a_stopped_server(self) -> bool:
        if (
            self.current_user is not None
            or self.request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        ):
            return False
        next_url = unquote(self.get_argument("next", ""))
        return bool(_SERVER_API.search(next_url)) and self._ended_payload() is not None

    def _ended_payload(self) -> dict[str, Any] | None:
        payload = getattr(self, "_hubtypes_ended", None)
        if payload is None:
            raw = self.get_secure_cookie(ENDED_COOKIE, max_age_days=ENDED_DAYS)
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
        return payload if isinstance(payload, dict) else None

    def _session_ended(self) -> dict[str, Any] | None:
        payload = self._ended_payload()
        if payload is None:
            return None
        if payload.get("ended_workshop"):
            return {"ended_workshop": str(payload["ended_workshop"])}
        clock = getattr(self.authenticator, "clock", None)
        now = clock() if callable(clock) else datetime.now().astimezone()
        return notice(_parse(payload), now, timedelta(0))

    def _render(self, login_error: Any = None, username: Any = None, **kwargs: Any) -> Any:
        exception = kwargs.get("exception")
        kwargs.setdefault("hubtypes_login_dates", getattr(exception, "hubtypes_dates", None))
        # a refused login says its own reason; the ended-session notice is for the plain page
        ended = None if login_error else self._session_ended()
        kwargs.setdefault("hubtypes_session_ended", ended)
        return super()._render(login_error=login_error, username=username, **kwargs)


__all__ = [
    "ENDED_COOKIE",
    "WorkshopLoginHandler",
    "clear_ended_notice",
    "ended_payload",
    "leave_ended_notice",
]
