"""The service's pages: HTML forms (CSRF-protected, usable without JavaScript)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from hubtypes.db.queries.resets import latest_reset, reset_json
from hubtypes.errors import Conflict
from hubtypes.inputs import InputError
from hubtypes.lifecycle.reset_plan import ResetOptions
from hubtypes.records import CREDENTIAL_COLUMNS
from hubtypes.services.workshop.authz import Action
from hubtypes.services.workshop.shapes import accounts_csv
from hubtypes.services.workshop.web.base import (
    NAME,
    ROSTER_BODY_LIMIT,
    SLUG,
    BaseHandler,
    check_reset_options,
    options_from,
)

# the reset options as the preview page names them
OPTION_LABELS = {
    "include_instructors": "also delete instructors",
    "include_shared_folders": "also delete materials and shared folders",
}


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
    body_limit = ROSTER_BODY_LIMIT  # the instructors' names

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
    body_limit = ROSTER_BODY_LIMIT  # a list of usernames

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
    """The preview and its confirmation: one form, so what is confirmed is what was shown.

    The form carries the options as previewed and the plan's digest. "Update preview"
    shows the plan for the ticked options; "Delete" starts the reset only if the ticked
    options are the previewed ones and the plan's digest is unchanged, else it answers
    409 with the new preview and says what changed. Nothing is deleted on a mismatch.
    """

    async def get(self, slug: str) -> None:
        options = options_from({k: self.get_query_argument(k) for k in self.request.arguments})
        await self.preview_page(slug, options)

    async def preview_page(
        self, slug: str, options: ResetOptions, error: Exception | None = None
    ) -> None:
        plan = await self.resets.preview(self.who, slug, options)
        workshop = await self.ops.workshop(self.who, slug)
        latest = await self.ops.tx(latest_reset, slug)
        self.page(
            "reset_preview.html",
            workshop=workshop,
            plan=plan.to_json(),
            latest=reset_json(latest) if latest else None,
            error=error,
            labels=OPTION_LABELS,
            storage_root=bool(self.resets.storage_root),
        )

    async def post(self, slug: str) -> None:
        values = form(self)
        await self.ops.authorize(self.who, Action.reset, slug)
        options = options_from(values)
        prefix = self.settings["service"].service_prefix
        if values.get("action") == "preview":
            query = urlencode({k: "true" for k in OPTION_LABELS if getattr(options, k)})
            self.redirect(f"{prefix}w/{slug}/reset" + (f"?{query}" if query else ""), status=303)
            return
        error: Exception | None = None
        try:
            previewed = options_from(values, prefix="previewed_")
            changed = [k for k in OPTION_LABELS if getattr(previewed, k) != getattr(options, k)]
            digest = values.get("digest", "")
            if changed:
                error = Conflict("digest", _changed_message(changed, previewed, options))
            elif not digest:
                raise InputError("digest", "preview the reset first, then confirm it")
            else:
                check_reset_options(self.resets, options)
                await self.resets.start(
                    self.who, slug, options, confirm=values.get("confirm", ""), digest=digest
                )
        except Conflict as e:
            error = e
            if e.field == "digest":  # the plan itself changed (accounts added or removed)
                error = Conflict("digest", "The plan changed since you previewed it "
                                 "(accounts were added or removed). Nothing was deleted: "
                                 "check the new preview below and confirm again.")  # fmt: skip
        except InputError as e:
            self.set_status(400)
            await self.preview_page(slug, options, e)
            return
        if error is not None:
            self.set_status(409)
            await self.preview_page(slug, options, error)
            return
        self.redirect(f"{prefix}w/{slug}/reset/progress")


def _changed_message(changed: list[str], previewed: ResetOptions, now: ResetOptions) -> str:
    def yes(value: bool) -> str:
        return "yes" if value else "no"

    what = "; ".join(
        f"\u201c{OPTION_LABELS[k]}\u201d (previewed: {yes(getattr(previewed, k))}, "
        f"now: {yes(getattr(now, k))})"
        for k in changed
    )
    return (
        f"You changed {what} after the preview. Nothing was deleted: check the preview "
        "below, now for your choice, and confirm again."
    )


class ResetProgressPage(PageHandler):
    async def get(self, slug: str) -> None:
        json_wanted = self.query_choice("format", ("html", "json")) == "json"
        data = await self.latest_reset(slug)
        if json_wanted:
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
