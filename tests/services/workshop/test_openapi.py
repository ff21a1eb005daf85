"""docs/openapi.yaml describes every route of the service's JSON API, and each one's methods.

The routes are the service's own (hubtypes.services.workshop.web.routes.make_handlers); a
handler's methods are those it defines itself or inherits from hubtypes' handlers, not
tornado's RequestHandler defaults (which answer 405).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from tornado.web import RequestHandler

from hubtypes.services.workshop.web.routes import make_handlers

SPEC = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")


def implemented(handler: type) -> set[str]:
    def owner(method: str) -> type:
        return next(c for c in handler.__mro__ if method in vars(c))

    return {m for m in METHODS if owner(m) is not RequestHandler}


def documented() -> dict[str, set[str]]:
    paths = yaml.safe_load(SPEC.read_text())["paths"]
    return {path: {m for m in item if m in METHODS} for path, item in paths.items()}


def served() -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for route in make_handlers("/services/workshop/"):
        pattern, handler = route[0], route[1]
        if not pattern.startswith("/services/workshop/api/"):
            continue
        path = pattern[len("/services/workshop/api") :]
        # each regex group (SLUG, NAME) is one path parameter
        path = re.sub(r"\((?:[^()]|\([^()]*\))*\)", "{}", path)
        routes[path] = implemented(handler)
    return routes


def test_every_api_route_and_method_is_described():
    spec = documented()
    # the spec names its path parameters; the routes are regex groups: compare shapes
    shapes = {re.sub(r"\{\w+\}", "{}", path): methods for path, methods in spec.items()}
    assert shapes == served()
