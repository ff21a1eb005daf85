"""The service's pages: HTML forms (CSRF-protected, usable without JavaScript)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from hubtypes.db.queries.resets import latest_reset, reset_json
from hubtypes.errors import Conflict, HubTypesError
from hubtypes.inputs import InputError, workshop_problems
from hubtypes.lifecycle.reset_plan import ResetOptions
from hubtypes.records import CREDENTIAL_COLUMNS
from hubtypes.services.workshop.authz import Action
from hubtypes.services.workshop.cards import with_qr
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


# the workshop form's fields as its labels name them (errors are reported by label)
FIELD_LABELS = {
    "slug": "Slug (short name)",
    "title": "Title",
    "starts": "Opens",
    "ends": "Locks",
    "delete_after": "Purge",
    "instructors": "Instructors",
    "workshop": "Workshop",
}


def form(handler: BaseHandler) -> dict[str, Any]:
    return {k: handler.get_body_argument(k) for k in handler.request.body_arguments}


def field_errors(errors: list[HubTypesError]) -> dict[str, str]:
    """Form input name -> message, each field's first problem (``delete-after`` is the
    input ``delete_after``)."""
    found: dict[str, str] = {}
    for e in errors:
        name = (e.field or "workshop").replace("-", "_")
        found.setdefault(name, e.message)
    return found


async def checked_workshop_form(
    handler: PageHandler, values: dict[str, Any], action: Any, workshop: dict[str, Any] | None
) -> dict[str, str]:
    """Every problem of the form at once, then the operation's own (a taken slug, a cap)."""
    current = workshop or {}
    problems = workshop_problems(
        values.get("slug", current.get("slug", "")),
        values.get("title", ""),
        values.get("starts", ""),
        values.get("ends", ""),
        values.get("delete_after", ""),
        handler.ops.clock(),
    )
    errors = field_errors(list(problems))
    if errors:
        return errors
    try:
        await action()
    except (InputError, Conflict) as e:
        return field_errors([e])
    return {}


class PageHandler(BaseHandler):
    def page(self, name: str, **ns: Any) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(self.render_page(name, **ns))


class WorkshopsPage(PageHandler):
    async def get(self) -> None:
        archived = self.query_choice("archived", ("false", "true")) == "true"
        workshops = await self.ops.workshops(self.who, archived=archived)
        self.page("workshops.html", workshops=workshops, archived=archived)


class NewWorkshopPage(PageHandler):
    body_limit = ROSTER_BODY_LIMIT  # the instructors' names

    async def get(self) -> None:
        await self.ops.authorize(self.who, Action.create_workshop)
        self.page("workshop_form.html", workshop=None, values={}, errors={}, labels=FIELD_LABELS)

    async def post(self) -> None:
        values = form(self)
        await self.ops.authorize(self.who, Action.create_workshop)
        created: dict[str, Any] = {}

        async def create() -> None:
            created.update(await self.ops.create_workshop(self.who, values))

        errors = await checked_workshop_form(self, values, create, None)
        if errors:
            self.set_status(400)
            self.page("workshop_form.html", workshop=None, values=values, errors=errors,
                      labels=FIELD_LABELS)  # fmt: skip
            return
        if created["credentials"]:
            credentials_page(self, created["slug"], created["credentials"], created)
            return
        self.redirect(f"{self.settings['service'].service_prefix}w/{created['slug']}")


class EditWorkshopPage(PageHandler):
    async def get(self, slug: str) -> None:
        workshop = await self.ops.workshop(self.who, slug)
        await self.ops.authorize(self.who, Action.edit, slug)
        self.page("workshop_form.html", workshop=workshop, values={}, errors={},
                  labels=FIELD_LABELS)  # fmt: skip

    async def post(self, slug: str) -> None:
        values = form(self)
        workshop = await self.ops.workshop(self.who, slug)
        await self.ops.authorize(self.who, Action.edit, slug)

        async def update() -> None:
            await self.ops.update_workshop(self.who, slug, values)

        errors = await checked_workshop_form(self, values, update, workshop)
        if errors:
            self.set_status(400)
            self.page("workshop_form.html", workshop=workshop, values=values, errors=errors,
                      labels=FIELD_LABELS)  # fmt: skip
            return
        self.redirect(f"{self.settings['service'].service_prefix}w/{slug}")


class WorkshopPage(PageHandler):
    async def get(
        self,
        slug: str,
        error: HubTypesError | None = None,
        *,
        notice: str = "",
        values: dict[str, Any] | None = None,
        row_error: tuple[str, str, str] | None = None,
    ) -> None:
        """The workshop and its accounts; a refused form comes back here with what was
        typed (``values``: the create form; ``row_error``: (username, typed, message))."""
        workshop = await self.ops.workshop(self.who, slug)
        accounts = await self.ops.accounts(self.who, slug)
        self.page("workshop.html", workshop=workshop, accounts=accounts, error=error,
                  notice=notice, values=values or {}, row_error=row_error)  # fmt: skip


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
        except (InputError, Conflict) as e:
            self.set_status(e.status)
            await WorkshopPage.get(self, slug, error=e, values=values)  # type: ignore[arg-type]
            return
        workshop = await self.ops.workshop(self.who, slug)
        credentials_page(self, slug, [c.as_dict() for c in creds], workshop)


ROSTER_COLUMNS = [*CREDENTIAL_COLUMNS, "name", "email"]


def credentials_page(
    handler: PageHandler,
    slug: str,
    rows: list[dict[str, Any]],
    workshop: dict[str, Any] | None,
    **extra: Any,
) -> None:
    """The once-only page of new codes: CSV, the instructor's sheet and the cards (QR)."""
    service = handler.settings["service"]
    hub_url = service.public_url or f"{handler.request.protocol}://{handler.request.host}/"
    cards = with_qr(rows, hub_url, service.hub_prefix)
    data = _credentials(rows)
    if any("name" in r for r in rows):  # from a roster: whom each account is for
        data["csv_href"] = "data:text/csv;charset=utf-8," + quote(
            accounts_csv(rows, ROSTER_COLUMNS)
        )
    handler.page("credentials.html", slug=slug, workshop=workshop, cards=cards, **data, **extra)


def _credentials(rows: list[dict[str, Any]]) -> dict[str, Any]:
    data = accounts_csv(rows, CREDENTIAL_COLUMNS)
    return {"credentials": rows, "csv_href": "data:text/csv;charset=utf-8," + quote(data)}


class AccountPage(PageHandler):
    async def post(self, slug: str, username: str) -> None:
        action = self.get_body_argument("action", "")
        typed = self.get_body_argument("expires", "")
        body: dict[str, Any] = {}
        try:
            if action == "extend":
                body["expires"] = typed
                if not typed.strip():
                    raise InputError("expires", "give the new end, e.g. +1d or 2026-12-05T17:00")
            elif action in ("disable", "enable"):
                body["disabled"] = action == "disable"
            else:
                raise InputError("action", "extend, disable or enable")
            await self.ops.update_account(self.who, slug, username, body)
        except InputError as e:
            # back to the same row, with what was typed and what is wrong with it
            self.set_status(400)
            row_error = (username, typed, e.message)
            await WorkshopPage.get(self, slug, row_error=row_error)  # type: ignore[arg-type]
            return
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
