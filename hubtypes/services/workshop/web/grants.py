"""Grants in the service's web API and pages: instructors add identities to a workshop.

- ``GET/POST api/workshops/{slug}/grants``: list (``?format=csv`` too), add
  (``{"identities": [...] or "text", "roster": "csv text", "expires": "...", "role":
  "participant" or "instructor"}``; or a ``text/csv`` body: the roster itself);
- ``PATCH/DELETE api/workshops/{slug}/grants/{identity}``: change the grant's own end
  or its role, remove a grant that was never used;
- ``GET/POST w/{slug}/grants``: the same as a page with a form (paste names or upload a
  roster CSV).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from hubtypes.errors import HubTypesError
from hubtypes.services.workshop.grants import Grants
from hubtypes.services.workshop.shapes import accounts_csv
from hubtypes.services.workshop.web.base import NAME, ROSTER_BODY_LIMIT, SLUG, BaseHandler

CSV_COLUMNS = ["identity", "role", "status", "standing", "server", "expires_at", "last_login_at"]


class _GrantsMixin(BaseHandler):
    @property
    def grants(self) -> Grants:
        return self.settings["grants"]


class _GrantsAPIBase(_GrantsMixin):
    api = True

    def check_xsrf_cookie(self) -> None:
        pass  # token-authenticated only


class GrantsAPI(_GrantsAPIBase):
    body_limit = ROSTER_BODY_LIMIT  # a roster CSV or a list of identities

    async def get(self, slug: str) -> None:
        grants = await self.grants.list(self.who, slug)
        if self.get_argument("format", "json") == "csv":
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", f'attachment; filename="{slug}-grants.csv"')
            self.finish(accounts_csv(grants, CSV_COLUMNS))
            return
        self.write_json({"grants": grants})

    async def post(self, slug: str) -> None:
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("text/"):  # a roster CSV as the body
            body: dict[str, Any] = {"roster": self.request.body.decode("utf-8", "replace")}
            if self.get_argument("role", ""):
                body["role"] = self.get_argument("role")
            if self.get_argument("expires", ""):
                body["expires"] = self.get_argument("expires")
        else:
            body = self.body_json()
        self.write_json(await self.grants.add(self.who, slug, body), 201)


class GrantAPI(_GrantsAPIBase):  # one grant: no GET or POST (405, not the list's)
    async def patch(self, slug: str, identity: str) -> None:
        result = await self.grants.update(self.who, slug, unquote(identity), self.body_json())
        self.write_json(result)

    async def delete(self, slug: str, identity: str) -> None:
        await self.grants.remove(self.who, slug, unquote(identity))
        self.set_status(204)
        self.finish()


class GrantsPage(_GrantsMixin):
    body_limit = ROSTER_BODY_LIMIT  # pasted names and an uploaded roster

    async def get(self, slug: str, **ns: Any) -> None:
        workshop = await self.ops.workshop(self.who, slug)
        grants = await self.grants.list(self.who, slug)
        ns.setdefault("error", None)
        ns.setdefault("result", None)
        self.set_header("Cache-Control", "no-store")
        self.finish(self.render_page("grants.html", workshop=workshop, grants=grants, **ns))

    async def post(self, slug: str) -> None:
        body: dict[str, Any] = {
            "identities": self.get_body_argument("identities", ""),
            "expires": self.get_body_argument("expires", ""),
            "role": self.get_body_argument("role", ""),
        }
        upload = self.request.files.get("roster")
        if upload:
            body["roster"] = upload[0]["body"].decode("utf-8", "replace")
        try:
            result = await self.grants.add(self.who, slug, body)
        except HubTypesError as e:
            if e.status >= 403 and e.status != 409:
                raise
            self.set_status(e.status)
            await self.get(slug, error=e, values=body)
            return
        self.set_status(201)
        await self.get(slug, result=result)


def grant_handlers(prefix: str) -> list[tuple[str, type]]:
    p = prefix.rstrip("/") + "/"
    return [
        (p + f"api/workshops/{SLUG}/grants", GrantsAPI),
        (p + f"api/workshops/{SLUG}/grants/{NAME}", GrantAPI),
        (p + f"w/{SLUG}/grants", GrantsPage),
    ]
