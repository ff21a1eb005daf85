"""``/hub/hubtypes/dates``: the current user's workshop dates as JSON, for hubtypes'
JupyterLab extension (its lock warning inside JupyterLab,
share/jupyter/labextensions/hubtypes-lab).

It answers exactly what the hub's pages show (the ``hubtypes_dates`` template variable,
:mod:`hubtypes.auth.page_dates`: a cached lookup, no query), so a JupyterLab tab and the
hub's home page never disagree. JupyterLab runs on the hub's origin, so the browser's GET
carries the hub's login cookie and JupyterHub's ``BaseHandler`` finds the user as for any
hub page (refreshing their auth when it is stale: a locked account gets 403 here, like
every page); no token reaches the browser. Reading it changes nothing.
"""

from __future__ import annotations

import json

from jupyterhub.handlers.base import BaseHandler
from tornado import web

from hubtypes.auth.page_dates import TEMPLATE_VAR

ROUTE = "/hubtypes/dates"


class DatesHandler(BaseHandler):
    """``{"dates": …}``: the dates, phase and warning of the hub's pages, or null."""

    async def get(self) -> None:
        user = self.current_user
        if user is None:  # no redirect to the login page: a script, not a navigation
            raise web.HTTPError(403, "Not logged in to the hub")
        dates = (self.settings.get("template_vars") or {}).get(TEMPLATE_VAR)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"dates": dates(user) if callable(dates) else None}))


__all__ = ["ROUTE", "DatesHandler"]
