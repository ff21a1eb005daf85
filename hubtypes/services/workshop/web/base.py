"""What every request of the service goes through, pages and API alike.

Each handler resolves the caller with the hub (a token in the Authorization header,
or for pages the OAuth cookie), each operation authorizes itself (:mod:`..authz`), and
hubtypes' errors (:mod:`hubtypes.errors`) become responses here, in one place: their
status, the field they name and their message, as JSON for the API or the error page.
"""

from __future__ import annotations

import json
from typing import Any

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web

from hubtypes.access.names import SLUG_PATTERN
from hubtypes.db.queries.resets import latest_reset, reset_json
from hubtypes.errors import HubTypesError, InputError
from hubtypes.hub.client import HubAPIError
from hubtypes.lifecycle.reset_plan import ResetOptions
from hubtypes.services.pages import hub_page_namespace
from hubtypes.services.workshop.authz import Action, Identity
from hubtypes.services.workshop.operations import Operations
from hubtypes.services.workshop.resets import Resets

# URL route groups: a workshop slug, and any one path component (a username)
SLUG = f"({SLUG_PATTERN})"
NAME = r"([^/]+)"


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    """Resolves the hub user asynchronously, then maps hubtypes' errors to HTTP."""

    api = False

    @property
    def ops(self) -> Operations:
        return self.settings["ops"]

    @property
    def resets(self) -> Resets:
        return self.settings["resets"]

    async def latest_reset(self, slug: str) -> dict[str, Any]:
        """The workshop's latest reset, for those who may reset it; 404 if there is none."""
        await self.ops.authorize(self.who, Action.reset, slug)
        reset = await self.ops.tx(latest_reset, slug)
        if reset is None:
            raise web.HTTPError(404, f"workshop {slug!r} has not been reset")
        return reset_json(reset)

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        if self.api and not getattr(self, "_token_authenticated", False):
            model = None  # the API takes tokens only: no cookie, so no CSRF
        self._identity: Identity | None = None
        if model:
            try:
                # pages need the service's access scope; the API authorizes by its own rules
                self._hub_auth_user_cache = model if self.api else self.check_hub_user(model)
            except Exception:
                message = "this hub account may not use the workshop service"
                raise web.HTTPError(403, message) from None
            self._identity = Identity.from_model(model)
        if self._identity is None:
            if self.api:
                raise web.HTTPError(401, "a hub API token is required (Authorization: token ...)")
            if self.request.method in ("GET", "HEAD"):
                self.redirect(self.get_login_url())
                return
            raise web.HTTPError(403, "log in first")
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and not self.api:
            self.check_xsrf_cookie()

    @property
    def who(self) -> Identity:
        assert self._identity is not None
        return self._identity

    def get_current_user(self) -> Any:
        return getattr(self, "_hub_auth_user_cache", None)

    def _handle_request_exception(self, e: BaseException) -> None:
        mapped = _http_error(e)
        if mapped is not None:
            status, field, message = mapped
            self._field = field
            self.send_error(status, reason=None, message=message, field=field)
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = kwargs.get("message")
        exc = kwargs.get("exc_info")
        if message is None and exc and isinstance(exc[1], web.HTTPError):
            message = exc[1].log_message or exc[1].reason
        message = message or self._reason
        if self.api:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"status": status_code, "field": kwargs.get("field"),
                                    "message": message}))  # fmt: skip
        else:
            self.finish(self.render_page("error.html", status=status_code, message=message,
                                         field=kwargs.get("field")))  # fmt: skip

    def render_page(self, name: str, **ns: Any) -> str:
        template = self.settings["jinja"].get_template(name)
        return template.render(**page_namespace(self), **ns)

    def body_json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError as e:
            raise InputError("body", f"is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise InputError("body", "must be a JSON object")
        return data

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


def _http_error(e: BaseException) -> tuple[int, str | None, str] | None:
    """(status, field, message) for the errors people cause; None for the others."""
    if isinstance(e, HubTypesError):
        return e.status, e.field, e.message
    if isinstance(e, HubAPIError):
        return 502, None, f"the hub answered: {e}"
    return None


def options_from(data: dict[str, Any]) -> ResetOptions:
    def flag(key: str) -> bool:
        value = data.get(key, False)
        return value in (True, "true", "on", "1", "yes")

    return ResetOptions(
        include_instructors=flag("include_instructors"),
        include_shared_folders=flag("include_shared_folders"),
    )


def page_namespace(handler: BaseHandler) -> dict[str, Any]:
    service = handler.settings["service"]
    who = getattr(handler, "_identity", None)
    prefix = service.service_prefix.rstrip("/") + "/"
    namespace = hub_page_namespace(
        service,
        handler.request,
        user=who.name if who else None,
        admin=bool(who and who.admin),
        xsrf_token=handler.xsrf_token.decode() if who else "",
        services=[{"name": "Workshops", "href": prefix}],
    )
    namespace["who"] = who
    return namespace
