"""Who may read the culler's status page, its JSON and its metrics: decided by the request
token's own scopes (as the hub resolves them), never by its owner's ``admin`` flag, so a hub
admin's narrow tokens (their server's, a ``read:users`` one) are refused like anyone's.

The hub and the culler are test_culler_hub's (the drop-in snippet, DummyAuthenticator,
``boss`` an admin), one for the module: neither test changes its config, and each has a
non-admin of its own. Behaviour relied on (jupyterhub 6.1.1, the same in 5.5.1):
jupyterhub/apihandlers/users.py ``SelfAPIHandler`` answers a token's own expanded scopes;
jupyterhub/services/auth.py ``check_hub_user`` refuses (403) a token without the
service's access scope unless the service's override lets it through.
"""

from __future__ import annotations

import re

import pytest
import requests
from realhub import RealHub
from test_culler_hub import make_hub, ready, start_server, status, wait_for

pytestmark = pytest.mark.hub

ROUTES = ("services/culler/", "services/culler/api/status", "services/culler/metrics")


@pytest.fixture(scope="module")
def hub(module_hub_factory, tmp_path_factory) -> RealHub:
    hub = make_hub(module_hub_factory, tmp_path_factory.mktemp("culler-tokens"),
                   "--timeout=600 --cull-every=600")  # fmt: skip
    wait_for(lambda: status(hub), 30, "the culler's status")
    return hub


def server_token(hub: RealHub, name: str) -> str:
    """``$JUPYTERHUB_API_TOKEN`` of ``name``'s running single-user server of this hub."""
    return hub.server_process(name, hubtypes=False)[1]["JUPYTERHUB_API_TOKEN"]


def get(hub: RealHub, path: str, token: str) -> requests.Response:
    return requests.get(hub.url + path, headers={"Authorization": f"token {token}"},
                        timeout=30, allow_redirects=False)  # fmt: skip


def token_of(hub: RealHub, name: str, scopes: list[str]) -> str:
    r = hub.api("POST", f"/users/{name}/tokens", json={"scopes": scopes, "note": str(scopes)})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def test_an_admins_narrow_tokens_do_not_read_the_culler(hub):
    # an admin (c.Authenticator.admin_users); the other test's browser login spawned theirs
    if "" in (hub.api("GET", "/users/boss").json().get("servers") or {}):
        wait_for(lambda: ready(hub, "boss"), 30, "boss's server")
    else:
        start_server(hub, "boss")

    narrow = {
        "server": server_token(hub, "boss"),  # what the admin's single-user server holds
        "read:users": token_of(hub, "boss", ["read:users"]),
        # passes the service's own access check, holds nothing else
        "access:services": token_of(hub, "boss", ["access:services!service=culler"]),
        "admin:users, filtered": token_of(hub, "boss", ["admin:users!user=boss"]),
    }
    for label, token in narrow.items():
        me = hub.api("GET", "/user", token=token).json()
        assert me["name"] == "boss" and me["admin"] is True, (label, me)
        for path in ROUTES:
            r = get(hub, path, token)
            assert r.status_code == 403, (label, path, r.status_code, r.text[:300])
            assert "last_sweep" not in r.text and "hubtypes_culler" not in r.text

    # the scopes the docs name are what open them: list:users and read:users:activity
    # (which admin:users includes) for all three, and read:metrics (a Prometheus scraper's
    # token) for the metrics only
    for scopes in (["admin:users"], ["list:users", "read:users:activity"]):
        full = token_of(hub, "boss", scopes)
        for path in ROUTES:
            assert get(hub, path, full).status_code == 200, (scopes, path)
    one = token_of(hub, "boss", ["list:users"])
    assert get(hub, "services/culler/api/status", one).status_code == 403
    assert "last_sweep" in get(hub, "services/culler/api/status", full).json()
    scraper = token_of(hub, "boss", ["read:metrics"])
    assert get(hub, "services/culler/metrics", scraper).status_code == 200
    assert "hubtypes_culler_sweeps_total" in get(hub, "services/culler/metrics", scraper).text
    for path in ROUTES[:2]:
        assert get(hub, path, scraper).status_code == 403, path
    # a user who is no admin holds neither
    start_server(hub, "carol")
    for path in ROUTES:
        assert get(hub, path, server_token(hub, "carol")).status_code == 403, path


def browser_login(hub: RealHub, name: str) -> requests.Session:
    """A person's browser session (DummyAuthenticator: any password)."""
    s = requests.Session()
    page = s.get(hub.url + "hub/login", timeout=30)
    match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert match, page.text[:2000]
    form = {"username": name, "password": "any", "_xsrf": match.group(1)}
    assert s.post(hub.url + "hub/login", data=form, timeout=30).status_code == 200
    return s


def test_an_admins_browser_session_reads_the_status_by_its_scopes(hub):
    # The session's OAuth token carries only what the culler's service definition lets it
    # ask for (oauth_client_allowed_scopes, intersected with the person's own scopes;
    # jupyterhub/oauth/provider.py validate_scopes): the drop-in snippet lists the two the
    # page needs (hub_config.STATUS_SCOPES), which an admin holds
    r = browser_login(hub, "boss").get(hub.url + "services/culler/", timeout=30)
    assert r.status_code == 200 and 'id="hubtypes-culler-summary"' in r.text, r.text[:500]
    # someone who is no admin holds neither scope to intersect with: refused
    assert hub.api("POST", "/users", json={"usernames": ["dave"]}).status_code == 201
    for path in ROUTES:
        r = browser_login(hub, "dave").get(hub.url + path, timeout=30)
        assert r.status_code == 403, (path, r.status_code, r.url)
