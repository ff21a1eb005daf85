"""Every route of the workshop service, with narrow-scoped tokens of a hub admin, on a real hub.

The service authorises by the scopes the hub resolved for the request's *token*, never by
its owner's admin flag (issue 10, finding 1). What the hub answers for a token is read from
its source: ``GET /hub/api/user`` returns the owner's model, whose ``admin`` field comes with
``read:users:name`` (so every token shows it), and ``scopes`` the token's own expanded scopes,
the intersection of what it was issued with and what its owner holds
(jupyterhub/apihandlers/users.py ``SelfAPIHandler``, jupyterhub/scopes.py ``get_scopes_for``;
the same in 5.5.1 and 6.1.1). A single-user server's token holds the ``server`` role's
``access:servers!server`` and ``users:activity!user`` (jupyterhub/roles.py, spawner.py
``server_token_scopes``); the hub's ``admin`` role holds ``access:services`` but no custom
scope, and cannot be given one (roles.py ``create_role``: "Cannot override admin role").

The routes are read from ``make_handlers``, so a route added later is covered here without
editing this test.

The tests share one hub with the service for the module (no test here changes its config);
each has workshops and usernames of its own. The route test owns workshops a to d (its
routes name "a" and "a-001"; its control creates "c" and "d").
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
import svchub
from jupyterhub.services.auth import HubOAuthCallbackHandler
from tornado import web

from hubtypes.services.workshop.web.base import NAME, SLUG, BaseHandler
from hubtypes.services.workshop.web.routes import make_handlers

pytestmark = pytest.mark.hub

PREFIX = "/services/workshop/"
METHODS = ("get", "post", "put", "patch", "delete")
# a plausible body per route, so that the admin's full token gets past authorization on
# each (the control below); none of them deletes anything
API_BODIES: dict[str, Any] = {
    "api/workshops": {
        "slug": "c",
        "title": "C",
        "starts": "+0s",
        "ends": "+1d",
        "delete_after": "+2d",
    },  # fmt: skip
    "api/workshops/a": {"title": "A again"},
    "api/workshops/a/accounts": {"count": 1},
    "api/workshops/a/accounts/a-001": {"expires": "+3h"},
    "api/workshops/a/reset": {"confirm": "not-the-slug"},
}
PAGE_BODIES: dict[str, dict[str, str]] = {
    "new": {"slug": "d", "title": "D", "starts": "+0s", "ends": "+1d", "delete_after": "+2d"},
    "w/a/edit": {"title": "A once more"},
    "w/a/accounts": {"count": "1"},
    "w/a/accounts/a-001": {"action": "extend", "expires": "+4h"},
    "w/a/reset": {"action": "confirm", "confirm": "not-the-slug", "digest": "x"},
}


@pytest.fixture(scope="module")
def sh(module_hub_factory, tmp_path_factory):
    return svchub.start(module_hub_factory, tmp_path_factory.mktemp("security-tokens"))


def routes() -> list[tuple[str, str, type]]:
    """(method, path under the service, handler) for every method of every route."""
    found = []
    for pattern, handler, *_ in make_handlers(PREFIX):
        if not issubclass(handler, BaseHandler):
            # the one route outside BaseHandler completes the hub's OAuth login: it takes
            # no token and acts on nothing (jupyterhub/services/auth.py)
            assert issubclass(handler, HubOAuthCallbackHandler), f"{pattern}: {handler}"
            continue
        path = pattern.replace(SLUG, "a").replace(NAME, "a-001")
        assert not re.search(r"[()\[\]{}*+?\\|^$]", path), f"a route group left in {path}"
        for method in METHODS:
            if getattr(handler, method) is not getattr(web.RequestHandler, method):
                found.append((method.upper(), path.removeprefix(PREFIX), handler))
    return found


def server_token(sh: svchub.ServiceHub, name: str) -> str:
    """``$JUPYTERHUB_API_TOKEN`` of ``name``'s running single-user server of this hub."""
    return sh.hub.server_process(name, hubtypes=False)[1]["JUPYTERHUB_API_TOKEN"]


def slugs(sh: svchub.ServiceHub) -> set[str]:
    return {w["slug"] for w in sh.call("GET", "workshops").json()["workshops"]}


def send(sh: svchub.ServiceHub, method: str, path: str, token: str) -> requests.Response:
    headers = {"Authorization": f"token {token}"}
    kw: dict[str, Any] = {"headers": headers, "timeout": 60, "allow_redirects": False}
    if method != "GET":
        if path.startswith("api/"):
            kw["json"] = API_BODIES.get(path, {})
        else:
            kw["data"] = PAGE_BODIES.get(path, {"x": "1"})
    return requests.request(method, sh.service + path, **kw)


def test_every_route_refuses_an_admins_narrow_tokens(sh):
    sh.workshop("a")
    sh.accounts("--workshop", "a", "--count", "2")
    sh.workshop("b")
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss")
    sh.login(boss)  # a hub admin, through the workshop login
    assert sh.hub.api("GET", f"/users/{boss}").json()["admin"] is True
    victims = {u["name"] for u in sh.hub.api("GET", "/users?limit=200").json()}
    # the workshops there are: a and b, and those of the module's earlier tests
    workshops = slugs(sh)
    assert {"a", "b"} <= workshops and not {"c", "d"} & workshops, workshops

    # what the admin's single-user server receives
    assert sh.hub.api("POST", f"/users/{boss}/server").status_code in (201, 202)
    sh.hub.wait_ready(boss)
    narrow = {"server": server_token(sh, boss)}
    for label, scopes in {
        "read:users": ["read:users"],
        "access:servers": [f"access:servers!server={boss}/"],
        # passes the pages' access check, holds no custom scope
        "access:services": ["access:services!service=workshop"],
    }.items():
        r = sh.hub.api("POST", f"/users/{boss}/tokens", json={"scopes": scopes, "note": label})
        assert r.status_code == 201, r.text
        narrow[label] = r.json()["token"]
    # the hub resolves them narrow, but tells whose they are, admin flag included
    for label, token in narrow.items():
        me = sh.hub.api("GET", "/user", token=token).json()
        assert me["name"] == boss and me["admin"] is True, (label, me)
        assert not [s for s in me["scopes"] if s.startswith("custom:")], (label, me["scopes"])

    table = routes()
    assert len(table) >= 20, table  # API and pages, every method they have
    accepted = []
    for label, token in narrow.items():
        for method, path, _handler in table:
            r = send(sh, method, path, token)
            if r.status_code != 403:
                accepted.append((label, method, path, r.status_code, r.text[:200]))
    assert accepted == [], "\n".join(map(str, accepted))
    # nothing was done: no workshop, account or reset, and every hub user is still there
    assert slugs(sh) == workshops
    assert len(sh.call("GET", "workshops/a/accounts").json()["accounts"]) == 2
    assert {u["name"] for u in sh.hub.api("GET", "/users?limit=200").json()} >= victims
    print(f"\nnarrow-token route attempts: {len(narrow) * len(table)}, accepted: 0")

    # the control: the admin's own full token (the token page's default) passes
    # authorization on the same requests, so the 403s above are the scopes' doing
    r = sh.hub.api("POST", f"/users/{boss}/tokens", json={"note": "full"})
    full = r.json()["token"]
    assert "custom:workshops:admin" in sh.hub.api("GET", "/user", token=full).json()["scopes"]
    for method, path, _handler in table:
        r = send(sh, method, path, full)
        assert r.status_code != 403 and r.status_code < 500, (method, path, r.text[:300])


def test_admins_get_the_admin_scope_through_their_group(sh):
    """Hub admins keep working in the browser: their OAuth token for the service carries
    the admin scope (the drop-in's role on ``hubtypes-admins``, which the post-auth hook
    keeps in step with the admin flag at each login)."""
    sh.workshop("grp")
    [boss] = sh.accounts("--role", "admin", "--usernames", "boss-grp")
    [teach] = sh.accounts("--workshop", "grp", "--role", "instructor", "--usernames", "teach-grp")
    admin, instructor = sh.login(boss), sh.login(teach)
    assert "hubtypes-admins" in sh.hub.api("GET", f"/users/{boss}").json()["groups"]
    assert "hubtypes-admins" not in sh.hub.api("GET", f"/users/{teach}").json()["groups"]
    for path in ("", "new", "audit", "w/grp/reset"):
        assert sh.page(admin, path).status_code == 200, path
        assert sh.page(instructor, path).status_code == (200 if path == "" else 403), path
