"""What every request of the service goes through, pages and API alike.

Each handler resolves the caller with the hub (a token in the Authorization header,
or for pages the OAuth cookie) *before* it reads a byte of the body: the handlers
stream their bodies (``stream_request_body``), so tornado calls :meth:`prepare` once the
headers are in and feeds the body only after it returns; the body of a request without
credentials is drained as it arrives, never kept, and the request answered 401/403. An
authenticated body may be at most the route's :attr:`BaseHandler.body_limit` (413 past
it). Each operation authorizes itself (:mod:`..authz`) by the scopes of the request's
token, and hubtypes' errors (:mod:`hubtypes.errors`) become responses here, in one
place: their status, the field they name and their message, as JSON for the API or the
error page. Query arguments are checked here too (400 naming the argument), and no URL
is logged with its query's values: they may hold a ``token=``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from jupyterhub.services.auth import HubOAuthenticated
from tornado import httputil, web

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

# bodies: a form or a JSON object, and the routes taking a list of usernames (a roster)
FORM_BODY_LIMIT = 64 * 1024
ROSTER_BODY_LIMIT = 2 * 1024 * 1024
BODY_METHODS = ("post", "put", "patch", "delete")
# a refused body up to this size is drained (read and dropped) so that its refusal reaches
# the client through the proxy; tornado's own limit (HTTPServer max_body_size) is 100 MB
DRAIN_LIMIT = 100 * 1024 * 1024

# query arguments whose values may be logged; every other value is redacted
LOGGED_ARGUMENTS = frozenset(
    {"limit", "format", "dry_run", "include_instructors", "include_shared_folders"}
)


def redact_uri(uri: str) -> str:
    """``uri`` with every query value but the few known harmless ones replaced.

    A ``?token=...`` (HubAuth accepts tokens in URLs), an OAuth ``code`` or ``state``,
    and any argument the service does not know are logged as ``[redacted]``.
    """
    path, sep, query = uri.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    shown = [(k, v if k in LOGGED_ARGUMENTS else "[redacted]") for k, v in pairs]
    return f"{path}?{urlencode(shown, safe='[]')}" if shown else path


if TYPE_CHECKING:
    _Handler = web.RequestHandler
else:
    _Handler = object  # a mixin: listed before HubOAuthenticated, which precedes tornado's


class RedactedLogMixin(_Handler):
    """Tornado logs errors with the request's full URI (``_request_summary`` and the
    request's repr, tornado/web.py ``log_exception``); this logs it redacted."""

    def _request_summary(self) -> str:
        r = self.request
        return f"{r.method} {redact_uri(r.uri or '')} ({r.remote_ip})"

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, web.HTTPError):
            super().log_exception(typ, value, tb)  # one line with _request_summary()
            return
        web.app_log.error(
            "Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb)
        )


class BodyTooLarge(HubTypesError):
    """A request body over its route's limit."""

    status = 413


def _after_body(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def run(self: BaseHandler, *args: Any, **kwargs: Any) -> Any:
        self._body_complete()
        return await method(self, *args, **kwargs)

    run._after_body = True  # type: ignore[attr-defined]
    return run


@web.stream_request_body
class BaseHandler(RedactedLogMixin, HubOAuthenticated, web.RequestHandler):
    """Resolves the hub user before the body, then maps hubtypes' errors to HTTP."""

    api = False
    body_limit = FORM_BODY_LIMIT  # bytes; routes taking a roster allow more

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # every body-taking method runs once the body is complete and checked (CSRF)
        super().__init_subclass__(**kwargs)
        for name in BODY_METHODS:
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_after_body", False):
                setattr(cls, name, _after_body(method))

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
        self._chunks: list[bytes] = []
        self._refusal: Exception | None = None
        self._identity: Identity | None = None
        body = self.request.method is not None and self.request.method.lower() in BODY_METHODS
        try:
            await self._identify()
            if body and not self._finished:
                self._accept_body()
        except (web.HTTPError, HubTypesError) as e:
            if not body or not self._drainable():
                raise  # answered now, and tornado hangs up: the body is never read
            # The body is drained as it arrives (never kept) and the refusal answered once
            # it is in. Answering first makes tornado hang up mid-upload, and the hub's
            # proxy then answers 503 instead of passing the 401/413 on.
            self._refusal = e

    def _drainable(self) -> bool:
        """Whether a refused request's body is drained (declared, up to DRAIN_LIMIT)."""
        try:
            return int(self.request.headers.get("Content-Length", "x")) <= DRAIN_LIMIT
        except ValueError:
            return False

    async def _identify(self) -> None:
        model = await self._authenticate()
        if self.api and not getattr(self, "_token_authenticated", False):
            model = None  # the API takes tokens only: no cookie, so no CSRF
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

    async def _authenticate(self) -> dict[str, Any] | None:
        """The hub's model of the request's token, without reading the body."""
        model = await self.hub_auth.get_user(self, sync=False)
        if model or self.api or self.request.method in ("GET", "HEAD"):
            return model
        # A form POST: HubOAuth accepts the cookie only with the form's _xsrf, which is
        # in the body, not read yet. Identify the cookie's token now; the CSRF check
        # runs once the body is in (_body_complete), before the handler does anything.
        token = self.hub_auth.get_token(self)
        if not token:
            return None
        session_id = self.hub_auth.get_session_id(self)
        return await self.hub_auth.user_for_token(token, session_id=session_id, sync=False)

    def _accept_body(self) -> None:
        """Refuse a body over the route's limit before reading it (413)."""
        limit = self.body_limit
        length = self.request.headers.get("Content-Length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                raise web.HTTPError(400, "Content-Length is not a number") from None
            if size > limit:
                raise BodyTooLarge("body", f"is {size} bytes; this route takes at most {limit}")
        # a chunked body: tornado closes the connection past the limit
        self.request.connection.set_max_body_size(limit)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        if self._refusal is None:  # a refused request's body is drained, never kept
            self._chunks.append(chunk)

    def _body_complete(self) -> None:
        """The streamed body as ``request.body`` and form arguments, then the CSRF check."""
        if self._refusal is not None:
            raise self._refusal
        body = b"".join(self._chunks)
        self._chunks = []
        self.request.body = body
        if body:
            httputil.parse_body_arguments(
                self.request.headers.get("Content-Type", ""),
                body,
                self.request.body_arguments,
                self.request.files,
                self.request.headers,
            )
            for key, values in self.request.body_arguments.items():
                self.request.arguments.setdefault(key, []).extend(values)
        if not self.api:
            self.check_xsrf_cookie()  # HubOAuth's: skipped for token-authenticated requests

    @property
    def who(self) -> Identity:
        assert self._identity is not None
        return self._identity

    def get_current_user(self) -> Any:
        return getattr(self, "_hub_auth_user_cache", None)

    # --- query arguments: 400 naming the argument -----------------------------------------

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InputError(name, f"must be a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise InputError(name, f"{value} is out of range; give {low} to {high}")
        return value

    def query_choice(self, name: str, choices: tuple[str, ...]) -> str:
        """One of ``choices``; the first is the default."""
        value = self.get_query_argument(name, None)
        if value is None:
            return choices[0]
        if value not in choices:
            raise InputError(name, f"must be {' or '.join(choices)}")
        return value

    def _handle_request_exception(self, e: BaseException) -> None:
        mapped = _http_error(e)
        if mapped is not None:
            status, field, message = mapped
            self._field = field
            self.send_error(status, reason=None, message=message, field=field)
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        pending = getattr(self.request, "_body_future", None)
        if pending is not None and not pending.done():
            # answered before the body was read: tornado hangs up after it, so say so,
            # and the proxy does not send another request on this connection
            self.set_header("Connection", "close")
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


TRUE = (True, "true", "on", "1", "yes")
FALSE = (False, None, "", "false", "off", "0", "no")


def flag(data: Mapping[str, Any], key: str) -> bool:
    """A yes/no field (JSON boolean or form value); anything else is a 400 naming it."""
    value = data.get(key)
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InputError(key, "must be true or false")


def check_reset_options(resets: Resets, options: ResetOptions) -> None:
    """Refuse options the service cannot carry out, rather than skip them quietly."""
    if options.include_shared_folders and not resets.storage_root:
        raise InputError(
            "include_shared_folders",
            "this service cannot remove materials and shared folders: "
            "c.WorkshopService.storage_root is not set. Set it, or leave this option off.",
        )


def options_from(data: Mapping[str, Any], prefix: str = "") -> ResetOptions:
    return ResetOptions(
        include_instructors=flag(data, prefix + "include_instructors"),
        include_shared_folders=flag(data, prefix + "include_shared_folders"),
    )


def page_namespace(handler: BaseHandler) -> dict[str, Any]:
    service = handler.settings["service"]
    who = getattr(handler, "_identity", None)
    prefix = service.service_prefix.rstrip("/") + "/"
    namespace = hub_page_namespace(
        service,
        handler.request,
        user=who.name if who else None,
        admin=bool(who and who.owner_admin),  # the nav's Admin link only
        xsrf_token=handler.xsrf_token.decode() if who else "",
        services=[{"name": "Workshops", "href": prefix}],
    )
    namespace["who"] = who
    return namespace
