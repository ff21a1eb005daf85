"""Request handling shared by pages and API, and the JSON REST API (docs/openapi.yaml).

Every handler resolves the caller with the hub (a token in the Authorization
header, or for pages the OAuth cookie) and every operation authorizes itself
(:mod:`.authz`); errors are 4xx answers naming the field.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web

from hubtypes.db.queries import resets as wstore
from hubtypes.db.queries.accounts import StoreError
from hubtypes.db.queries.resets import reset_json
from hubtypes.hub.client import HubAPIError
from hubtypes.inputs import InputError
from hubtypes.lifecycle.reset_plan import ResetOptions
from hubtypes.services.workshop.authz import Action, Identity
from hubtypes.services.workshop.operations import Conflict, Forbidden, Ops
from hubtypes.services.workshop.resets import Runner

SLUG = r"([a-z0-9][a-z0-9-]{0,62})"
NAME = r"([^/]+)"


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    """Resolves the hub user asynchronously, then maps hubtypes' errors to HTTP."""

    api = False

    @property
    def ops(self) -> Ops:
        return self.settings["ops"]

    @property
    def runner(self) -> Runner:
        return self.settings["runner"]

    async def latest_reset(self, slug: str) -> dict[str, Any]:
        """The workshop's latest reset, for those who may reset it; 404 if there is none."""
        await self.ops.authorize(self.who, Action.reset, slug)
        reset = await self.ops.tx(wstore.latest_reset, slug)
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
        from hubtypes.services.workshop.web.pages import page_namespace

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
    if isinstance(e, InputError):
        return 400, e.field, e.message
    if isinstance(e, StoreError):
        return (404 if e.field == "workshop" else 409), e.field, e.message
    if isinstance(e, Forbidden):
        return 403, None, str(e)
    if isinstance(e, Conflict):
        return 409, "workshop", str(e)
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


def accounts_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


CREDENTIAL_COLUMNS = ["username", "code", "role", "workshop", "expires_at"]


# --- the JSON API -------------------------------------------------------------------------


class APIHandler(BaseHandler):
    api = True

    def check_xsrf_cookie(self) -> None:
        pass  # token-authenticated only


class WorkshopsAPI(APIHandler):
    async def get(self) -> None:
        self.write_json({"workshops": await self.ops.workshops(self.who)})

    async def post(self) -> None:
        self.write_json(await self.ops.create_workshop(self.who, self.body_json()), 201)


class WorkshopAPI(APIHandler):
    async def get(self, slug: str) -> None:
        self.write_json(await self.ops.workshop(self.who, slug))

    async def patch(self, slug: str) -> None:
        self.write_json(await self.ops.update_workshop(self.who, slug, self.body_json()))


class AccountsAPI(APIHandler):
    async def get(self, slug: str) -> None:
        accounts = await self.ops.accounts(self.who, slug)
        if self.get_argument("format", "json") == "csv":
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{slug}-accounts.csv"')
            columns = ["username", "role", "status", "expires_at", "last_login_at"]
            self.finish(accounts_csv(accounts, columns))
            return
        self.write_json({"accounts": accounts})

    async def post(self, slug: str) -> None:
        from hubtypes.services.workshop.operations import credential_json

        creds = [credential_json(c) for c in await self.ops.create_accounts(
            self.who, slug, self.body_json())]  # fmt: skip
        self.set_header("Cache-Control", "no-store")
        if self.get_argument("format", "json") == "csv":
            self.set_status(201)
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.finish(accounts_csv(creds, CREDENTIAL_COLUMNS))
            return
        self.write_json({"credentials": creds}, 201)


class AccountAPI(APIHandler):
    async def patch(self, slug: str, username: str) -> None:
        self.write_json(await self.ops.update_account(self.who, slug, username, self.body_json()))


class AuditAPI(APIHandler):
    async def get(self, slug: str | None = None) -> None:
        limit = min(int(self.get_argument("limit", "200")), 2000)
        self.write_json({"events": await self.ops.audit(self.who, slug, limit)})


class ResetAPI(APIHandler):
    async def get(self, slug: str) -> None:
        self.write_json(await self.latest_reset(slug))

    async def post(self, slug: str) -> None:
        data = self.body_json()
        options = options_from(data)
        if self.get_argument("dry_run", "false") == "true":
            plan = await self.runner.preview(self.who, slug, options)
            self.write_json({"dry_run": True, "plan": plan.to_json()})
            return
        confirm = data.get("confirm")
        result = await self.runner.start(self.who, slug, options, confirm=confirm)
        self.write_json(result, 200 if result.get("noop") else 202)


class LifecycleAPI(APIHandler):
    async def post(self) -> None:
        from hubtypes.services.workshop.authz import Action

        await self.ops.authorize(self.who, Action.lifecycle)
        actions = await self.runner.tick()
        self.write_json({k: list(v) for k, v in actions.items()})


def make_handlers(prefix: str) -> list[tuple[str, type, dict[str, Any]] | tuple[str, type]]:
    from hubtypes.services.workshop.web.pages import page_handlers

    p = prefix.rstrip("/") + "/"
    api: list[tuple[str, type]] = [
        (p + "api/workshops", WorkshopsAPI),
        (p + f"api/workshops/{SLUG}", WorkshopAPI),
        (p + f"api/workshops/{SLUG}/accounts", AccountsAPI),
        (p + f"api/workshops/{SLUG}/accounts/{NAME}", AccountAPI),
        (p + f"api/workshops/{SLUG}/audit", AuditAPI),
        (p + f"api/workshops/{SLUG}/reset", ResetAPI),
        (p + "api/audit", AuditAPI),
        (p + "api/lifecycle", LifecycleAPI),
        (p + "oauth_callback", HubOAuthCallbackHandler),
    ]
    return [*api, *page_handlers(p)]
