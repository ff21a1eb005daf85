"""Routes for the people at a live workshop: a new code, a cleared throttle, a roster, the
cards and the instructor's sheet, the CSV export for the browser, and archiving.

The JSON API (docs/openapi.yaml) takes tokens; the pages take the hub's OAuth cookie and
their forms carry ``_xsrf``, like the rest of the service (:mod:`.base`).
"""

from __future__ import annotations

from hubtypes.access.roster import plan_json
from hubtypes.errors import Conflict, HubTypesError, InputError
from hubtypes.services.workshop.authz import Action
from hubtypes.services.workshop.shapes import EXPORT_COLUMNS, accounts_csv
from hubtypes.services.workshop.web.api import APIHandler
from hubtypes.services.workshop.web.base import NAME, ROSTER_BODY_LIMIT, SLUG, BaseHandler
from hubtypes.services.workshop.web.pages import (
    ROSTER_COLUMNS,
    PageHandler,
    WorkshopPage,
    credentials_page,
    form,
)

# --- API ------------------------------------------------------------------------------------


class ReissueAPI(APIHandler):
    async def post(self, slug: str, username: str) -> None:
        self.set_header("Cache-Control", "no-store")
        self.write_json(await self.people.reissue(self.who, slug, username))


class ThrottleAPI(APIHandler):
    async def delete(self, slug: str, username: str) -> None:
        self.write_json(await self.people.clear_throttle(self.who, slug, username))


class RosterAPI(APIHandler):
    body_limit = ROSTER_BODY_LIMIT  # a CSV of up to 1000 people

    async def post(self, slug: str) -> None:
        dry_run = self.query_choice("dry_run", ("false", "true")) == "true"
        csv = self.query_choice("format", ("json", "csv")) == "csv"
        body = self.body_json()
        if not isinstance(body.get("roster", ""), str):
            raise InputError("roster", "give the roster as text (a CSV, or one person a line)")
        if dry_run:
            plan = await self.people.roster_plan(
                self.who, slug, str(body.get("roster") or ""), str(body.get("prefix") or "")
            )
            self.write_json({"dry_run": True, "plan": plan_json(plan)})
            return
        plan, rows = await self.people.roster_create(self.who, slug, body)
        self.set_header("Cache-Control", "no-store")
        if csv:
            self.set_status(201)
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.finish(accounts_csv(rows, ROSTER_COLUMNS))
            return
        self.write_json({"credentials": rows, "plan": plan_json(plan)}, 201)


class ArchiveAPI(APIHandler):
    async def post(self, slug: str) -> None:
        self.write_json(await self.people.archive(self.who, slug))


# --- pages ----------------------------------------------------------------------------------


class ReissuePage(PageHandler):
    async def post(self, slug: str, username: str) -> None:
        result = await self.people.reissue(self.who, slug, username)
        workshop = await self.ops.workshop(self.who, slug)
        credentials_page(self, slug, [result["credential"]], workshop, reissued=result)


class ThrottlePage(PageHandler):
    async def post(self, slug: str, username: str) -> None:
        result = await self.people.clear_throttle(self.who, slug, username)
        notice = f"Login throttle of {username} cleared ({result['cleared']} counter(s))."
        await WorkshopPage.get(self, slug, notice=notice)  # type: ignore[arg-type]


class RosterPage(PageHandler):
    body_limit = ROSTER_BODY_LIMIT

    async def get(self, slug: str) -> None:
        await self.ops.authorize(self.who, Action.create_accounts, slug)
        workshop = await self.ops.workshop(self.who, slug)
        values = {"prefix": f"{slug}-", "role": "participant"}
        self.page("roster.html", workshop=workshop, values=values, plan=None, error=None)

    async def post(self, slug: str) -> None:
        values = form(self)
        upload = self.request.files.get("file")
        if upload and upload[0]["body"]:
            try:
                values["roster"] = upload[0]["body"].decode("utf-8-sig")
            except UnicodeDecodeError:
                values["roster"] = ""
                values["_bad_file"] = "1"
        workshop = await self.ops.workshop(self.who, slug)
        error: HubTypesError | None = None
        plan = None
        try:
            if values.pop("_bad_file", None):
                raise InputError("file", "is not UTF-8 text; save the sheet as CSV (UTF-8)")
            if values.get("action") == "create":
                _, rows = await self.people.roster_create(self.who, slug, values)
                credentials_page(self, slug, rows, workshop)
                return
            plan = await self.people.roster_plan(
                self.who, slug, values.get("roster", ""), values.get("prefix", "")
            )
        except (InputError, Conflict) as e:
            self.set_status(e.status)
            error = e
            if isinstance(e, Conflict) and e.field == "planned":
                plan = await self.people.roster_plan(
                    self.who, slug, values.get("roster", ""), values.get("prefix", "")
                )
        self.page("roster.html", workshop=workshop, values=values,
                  plan=plan_json(plan) if plan else None, error=error)  # fmt: skip


class SheetPage(PageHandler):
    """One page for the instructor: every username of the workshop (no codes)."""

    async def get(self, slug: str) -> None:
        workshop = await self.ops.workshop(self.who, slug)
        accounts = await self.ops.accounts(self.who, slug)
        self.page("sheet.html", workshop=workshop, accounts=accounts)


class ExportPage(BaseHandler):
    """The accounts CSV for a logged-in browser (the API takes tokens only)."""

    async def get(self, slug: str) -> None:
        accounts = await self.ops.accounts(self.who, slug)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{slug}-accounts.csv"')
        self.set_header("Cache-Control", "no-store")
        self.finish(accounts_csv(accounts, EXPORT_COLUMNS))


class ArchivePage(PageHandler):
    async def post(self, slug: str) -> None:
        await self.people.archive(self.who, slug)
        self.redirect(self.settings["service"].service_prefix, status=303)


def people_handlers(p: str) -> list[tuple[str, type]]:
    return [
        (p + f"api/workshops/{SLUG}/accounts/{NAME}/reissue", ReissueAPI),
        (p + f"api/workshops/{SLUG}/accounts/{NAME}/throttle", ThrottleAPI),
        (p + f"api/workshops/{SLUG}/roster", RosterAPI),
        (p + f"api/workshops/{SLUG}/archive", ArchiveAPI),
        (p + f"w/{SLUG}/accounts/{NAME}/reissue", ReissuePage),
        (p + f"w/{SLUG}/accounts/{NAME}/throttle", ThrottlePage),
        (p + f"w/{SLUG}/roster", RosterPage),
        (p + f"w/{SLUG}/sheet", SheetPage),
        (p + f"w/{SLUG}/accounts.csv", ExportPage),
        (p + f"w/{SLUG}/archive", ArchivePage),
    ]
