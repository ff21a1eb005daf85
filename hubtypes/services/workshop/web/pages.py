"""The service's pages: HTML forms (CSRF-protected, usable without JavaScript)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hubtypes.db.queries.resets import latest_reset, reset_json
from hubtypes.inputs import InputError
from hubtypes.records import CREDENTIAL_COLUMNS
from hubtypes.services.workshop.authz import Action
from hubtypes.services.workshop.shapes import accounts_csv
from hubtypes.services.workshop.web.base import NAME, SLUG, BaseHandler, options_from


def form(handler: BaseHandler) -> dict[str, Any]:
    return {k: handler.get_body_argument(k) for k in handler.request.body_arguments}


class PageHandler(BaseHandler):
    def page(self, name: str, **ns: Any) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(self.render_page(name, **ns))


class WorkshopsPage(PageHandler):
    async def get(self) -> None:
        workshops = await self.ops.workshops(self.who)
        self.page("workshops.html", workshops=workshops)


class NewWorkshopPage(PageHandler):
    async def get(self) -> None:
        await self.ops.authorize(self.who, Action.create_workshop)
        self.page("workshop_form.html", workshop=None, values={}, error=None)

    async def post(self) -> None:
        values = form(self)
        try:
            result = await self.ops.create_workshop(self.who, values)
        except InputError as e:
            self.set_status(400)
            self.page("workshop_form.html", workshop=None, values=values, error=e)
            return
        if result["credentials"]:
            self.page(
                "credentials.html", slug=result["slug"], **_credentials(result["credentials"])
            )
            return
        self.redirect(f"{self.settings['service'].service_prefix}w/{result['slug']}")


class EditWorkshopPage(PageHandler):
    async def get(self, slug: str) -> None:
        workshop = await self.ops.workshop(self.who, slug)
        await self.ops.authorize(self.who, Action.edit, slug)
        self.page("workshop_form.html", workshop=workshop, values={}, error=None)

    async def post(self, slug: str) -> None:
        values = form(self)
        try:
            await self.ops.update_workshop(self.who, slug, values)
        except InputError as e:
            self.set_status(400)
            workshop = await self.ops.workshop(self.who, slug)
            self.page("workshop_form.html", workshop=workshop, values=values, error=e)
            return
        self.redirect(f"{self.settings['service'].service_prefix}w/{slug}")


class WorkshopPage(PageHandler):
    async def get(self, slug: str, error: InputError | None = None) -> None:
        workshop = await self.ops.workshop(self.who, slug)
        accounts = await self.ops.accounts(self.who, slug)
        self.page("workshop.html", workshop=workshop, accounts=accounts, error=error)


class CreateAccountsPage(PageHandler):
    async def post(self, slug: str) -> None:
        values = form(self)
        body: dict[str, Any] = {k: v for k, v in values.items() if v.strip()}
        if "count" in body:
            try:
                body["count"] = int(body["count"])
            except ValueError:
                body["count"] = None
        try:
            creds = await self.ops.create_accounts(self.who, slug, body)
        except InputError as e:
            self.set_status(400)
            await WorkshopPage.get(self, slug, error=e)  # type: ignore[arg-type]
            return
        workshop = await self.ops.workshop(self.who, slug)
        rows = [c.as_dict() for c in creds]
        self.page("credentials.html", slug=slug, workshop=workshop, **_credentials(rows))


def _credentials(rows: list[dict[str, Any]]) -> dict[str, Any]:
    data = accounts_csv(rows, CREDENTIAL_COLUMNS)
    return {"credentials": rows, "csv_href": "data:text/csv;charset=utf-8," + quote(data)}


class AccountPage(PageHandler):
    async def post(self, slug: str, username: str) -> None:
        action = self.get_body_argument("action", "")
        body: dict[str, Any] = {}
        if action == "extend":
            body["expires"] = self.get_body_argument("expires", "")
            if not body["expires"]:
                raise InputError("expires", "give the new end, e.g. +1d or 2026-12-05T17:00")
        elif action in ("disable", "enable"):
            body["disabled"] = action == "disable"
        else:
            raise InputError("action", "extend, disable or enable")
        await self.ops.update_account(self.who, slug, username, body)
        self.redirect(f"{self.settings['service'].service_prefix}w/{slug}#accounts")


class AuditPage(PageHandler):
    async def get(self, slug: str | None = None) -> None:
        events = await self.ops.audit(self.who, slug, 500)
        self.page("audit.html", slug=slug, events=events)


class ResetPage(PageHandler):
    async def get(self, slug: str) -> None:
        options = options_from({k: self.get_argument(k) for k in self.request.arguments})
        plan = await self.resets.preview(self.who, slug, options)
        workshop = await self.ops.workshop(self.who, slug)
        latest = await self.ops.tx(latest_reset, slug)
        self.page(
            "reset_preview.html",
            workshop=workshop,
            plan=plan.to_json(),
            latest=reset_json(latest) if latest else None,
            error=None,
        )

    async def post(self, slug: str) -> None:
        values = form(self)
        options = options_from(values)
        try:
            await self.resets.start(self.who, slug, options, confirm=values.get("confirm", ""))
        except InputError as e:
            plan = await self.resets.preview(self.who, slug, options)
            workshop = await self.ops.workshop(self.who, slug)
            self.set_status(400)
            self.page("reset_preview.html", workshop=workshop, plan=plan.to_json(), latest=None,
                      error=e)  # fmt: skip
            return
        self.redirect(f"{self.settings['service'].service_prefix}w/{slug}/reset/progress")


class ResetProgressPage(PageHandler):
    async def get(self, slug: str) -> None:
        data = await self.latest_reset(slug)
        if self.get_argument("format", "") == "json":
            self.write_json(data)
            return
        self.page("reset_progress.html", slug=slug, reset=data)


def page_handlers(p: str) -> list[tuple[str, type]]:
    return [
        (p, WorkshopsPage),
        (p + "new", NewWorkshopPage),
        (p + f"w/{SLUG}", WorkshopPage),
        (p + f"w/{SLUG}/edit", EditWorkshopPage),
        (p + f"w/{SLUG}/accounts", CreateAccountsPage),
        (p + f"w/{SLUG}/accounts/{NAME}", AccountPage),
        (p + f"w/{SLUG}/audit", AuditPage),
        (p + f"w/{SLUG}/reset", ResetPage),
        (p + f"w/{SLUG}/reset/progress", ResetProgressPage),
        (p + "audit", AuditPage),
    ]
