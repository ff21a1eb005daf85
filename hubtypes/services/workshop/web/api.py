"""The service's JSON REST API (described in docs/openapi.yaml); tokens only, no cookies."""

from __future__ import annotations

from hubtypes.records import CREDENTIAL_COLUMNS
from hubtypes.services.workshop.authz import Action
from hubtypes.services.workshop.shapes import accounts_csv
from hubtypes.services.workshop.web.base import BaseHandler, options_from


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


class ReopenAPI(APIHandler):
    async def post(self, slug: str) -> None:
        self.write_json(await self.ops.reopen_workshop(self.who, slug, self.body_json()))


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
        creds = [c.as_dict() for c in await self.ops.create_accounts(
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
            plan = await self.resets.preview(self.who, slug, options)
            self.write_json({"dry_run": True, "plan": plan.to_json()})
            return
        confirm = data.get("confirm")
        result = await self.resets.start(self.who, slug, options, confirm=confirm)
        self.write_json(result, 200 if result.get("noop") else 202)


class LifecycleAPI(APIHandler):
    async def post(self) -> None:
        await self.ops.authorize(self.who, Action.lifecycle)
        actions = await self.resets.lifecycle_pass()
        self.write_json({k: list(v) for k, v in actions.items()})
