"""Pages of hubtypes' services that look like the hub: templates extending its ``page.html``.

Both services render with one loader order — the operator's folders, then hubtypes'
(``share/hubtypes/templates/<service>``), then the hub's own templates (also reachable as
``templates/...`` so a page can extend the stock one it overrides) — and give the hub's
``page.html`` the variables it expects (the user, the hub's prefix and static files, the
navigation's admin link and services menu).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from hubtypes._data import templates_dir


def stock_templates() -> Path:
    """The hub's own templates (share/jupyterhub/templates)."""
    from jupyterhub._data import DATA_FILES_PATH

    return Path(DATA_FILES_PATH) / "templates"


def make_env(folder: str, extra: Sequence[str] = ()) -> Environment:
    """Operator's templates, then hubtypes' ``folder``, then the hub's (also as ``templates/``)."""
    stock = str(stock_templates())
    loader = ChoiceLoader(
        [
            FileSystemLoader([*extra, str(templates_dir() / folder)]),
            PrefixLoader({"templates": FileSystemLoader([stock])}, "/"),
            FileSystemLoader([stock]),
        ]
    )
    env = Environment(loader=loader, autoescape=select_autoescape(default=True))
    env.filters["tojson_attr"] = lambda v: json.dumps(v)
    return env


class PageUser:
    """What the hub's page.html needs of ``user``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.json_escaped_name = json.dumps(name)[1:-1]


def hub_page_namespace(
    app: Any,
    request: Any,
    *,
    user: str | None,
    admin: bool,
    xsrf_token: str = "",
    services: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """The variables the hub's ``page.html`` uses, for a page of the service ``app``
    (a :class:`hubtypes.services.base.HubServiceApp`) answering ``request``."""
    hub = app.hub_prefix
    prefix = app.service_prefix.rstrip("/") + "/"

    def static_url(path: str, include_version: bool = True) -> str:
        return f"{hub}static/{path}"

    return {
        "base_url": hub,
        "prefix": prefix,
        "logo_url": hub,
        "static_url": static_url,
        "version_hash": "",
        "no_spawner_check": True,
        "user": PageUser(user) if user else None,
        "admin_access": admin,
        "parsed_scopes": {"admin-ui": True} if admin else {},
        "services": list(services),
        "login_url": f"{hub}login",
        "logout_url": f"{hub}logout",
        "xsrf_token": xsrf_token,
        "announcement": "",
        "svc": prefix,
        "hub_url": app.public_url or f"{request.protocol}://{request.host}/",
    }
