"""The service's URL routes: the JSON API, the OAuth callback, the pages."""

from __future__ import annotations

from typing import Any

from jupyterhub.services.auth import HubOAuthCallbackHandler

from hubtypes.services.workshop.web.api import (
    AccountAPI,
    AccountsAPI,
    AuditAPI,
    LifecycleAPI,
    ReopenAPI,
    ResetAPI,
    WorkshopAPI,
    WorkshopsAPI,
)
from hubtypes.services.workshop.web.base import NAME, SLUG, RedactedLogMixin
from hubtypes.services.workshop.web.grants import grant_handlers
from hubtypes.services.workshop.web.pages import page_handlers


class OAuthCallback(RedactedLogMixin, HubOAuthCallbackHandler):
    """The hub's OAuth callback; its ``?code=&state=`` never reach the log unredacted."""


def make_handlers(prefix: str) -> list[tuple[str, type, dict[str, Any]] | tuple[str, type]]:
    p = prefix.rstrip("/") + "/"
    api: list[tuple[str, type]] = [
        (p + "api/workshops", WorkshopsAPI),
        (p + f"api/workshops/{SLUG}", WorkshopAPI),
        (p + f"api/workshops/{SLUG}/accounts", AccountsAPI),
        (p + f"api/workshops/{SLUG}/accounts/{NAME}", AccountAPI),
        (p + f"api/workshops/{SLUG}/audit", AuditAPI),
        (p + f"api/workshops/{SLUG}/reset", ResetAPI),
        (p + f"api/workshops/{SLUG}/reopen", ReopenAPI),
        (p + "api/audit", AuditAPI),
        (p + "api/lifecycle", LifecycleAPI),
        (p + "oauth_callback", OAuthCallback),
    ]
    return [*api, *grant_handlers(p), *page_handlers(p)]
