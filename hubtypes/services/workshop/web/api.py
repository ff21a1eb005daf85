"""The service's JSON REST API (described in docs/openapi.yaml); tokens only, no cookies."""

from __future__ import annotations

from hubtypes.errors import InputError
from hubtypes.records import CREDENTIAL_COLUMNS
from hubtypes.services.workshop.authz import Action
from hubtypes.services.workshop.shapes import EXPORT_COLUMNS, accounts_csv
from hubtypes.services.workshop.web.base import (
    ROSTER_BODY_LIMIT,
    BaseHandler,
    check_reset_options,
    options_from,
)


class APIHandler(BaseHandler):
    api = True

    def check_xsrf_cookie(self) -> None:
        pass  # token-authenticated only


class WorkshopsAPI(APIHandler):
    body_limit = ROSTER_BODY_LIMIT  # the instructors' names

    async def get(self) -> None:
        archived = self.query_choice("archived", ("false", "true")) == "true"
        self.write_json({"workshops": await self.ops.workshops(self.who, archived=archived)})

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
    body_limit = ROSTER_BODY_LIMIT  # a list of usernames

    async def get(self, slug: str) -> None:
        csv = self.query_choice("format", ("json", "csv")) == "csv"
        accounts = await self.ops.accounts(self.who, slug)
        if csv:
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{slug}-accounts.csv"')
            self.finish(accounts_csv(accounts, EXPORT_COLUMNS))
            return
        self.write_json({"accounts": accounts})

    async def post(self, slug: str) -> None:
        csv = self.query_choice("format", ("json", "csv")) == "csv"
        creds = [c.as_dict() for c in await self.ops.create_accounts(
            self.who, slug, self.body_json())]  # fmt: skip
        self.set_header("Cache-Control", "no-store")
        if csv:
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
        limit = self.query_int("limit", 200, 1, 2000)
        self.write_json({"events": await self.ops.audit(self.who, slug, limit)})


class ResetAPI(APIHandler):
    async def get(self, slug: str) -> None:
        self.write_json(await self.latest_reset(slug))

    async def post(self, slug: str) -> None:
        dry_run = self.query_choice("dry_run", ("false", "true")) == "true"
        data = self.body_json()
        options = options_from(data)
        if dry_run:
            plan = await self.resets.preview(self.who, slug, options)
            self.write_json({"dry_run": True, "plan": plan.to_json()})
            return
        # optional here (scripts that confirm by slug keep working); when given, the
        # reset starts only if its plan is still the one previewed (409 otherwise)
        digest = data.get("digest")
        if digest is not None and not isinstance(digest, str):
            raise InputError("digest", "must be the plan's digest from the dry run (a string)")
        await self.ops.authorize(self.who, Action.reset, slug)
        check_reset_options(self.resets, options)
        confirm = data.get("confirm")
        result = await self.resets.start(self.who, slug, options, confirm=confirm, digest=digest)
        self.write_json(result, 200 if result.get("noop") else 202)


class LifecycleAPI(APIHandler):
    async def post(self) -> None:
        await self.ops.authorize(self.who, Action.lifecycle)
        actions = await self.resets.lifecycle_pass()
        self.write_json({k: list(v) for k, v in actions.items()})
