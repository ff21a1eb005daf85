"""The real-hub harness itself: start, log in through the form, admin token, restart."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from realhub import HubFactory, login_error

from hubtypes.cli.chp import CHP_INSTALL_HINT, find_configurable_http_proxy

DUMMY = """
c.JupyterHub.authenticator_class = 'dummy'
c.DummyAuthenticator.password = 'pw'
c.Authenticator.allow_all = True
"""


def test_find_chp_on_path_then_in_node_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    deep = tmp_path / "project" / "sub" / "dir"
    deep.mkdir(parents=True)
    assert "npm install -g configurable-http-proxy" in CHP_INSTALL_HINT

    # Not on PATH: the nearest node_modules/.bin upwards from start.
    local = tmp_path / "project" / "node_modules" / ".bin" / "configurable-http-proxy"
    local.parent.mkdir(parents=True)
    local.write_text("#!/bin/sh\n")
    local.chmod(0o755)
    assert find_configurable_http_proxy(deep) == str(local)

    on_path = tmp_path / "bin" / "configurable-http-proxy"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_configurable_http_proxy(deep) == str(on_path)


@pytest.mark.hub
def test_real_hub(real_hub_factory: HubFactory) -> None:
    hub = real_hub_factory(DUMMY)

    # With no server running and the default redirect_to_server=True, a login
    # sends the user to /hub/spawn (following it would start a server).
    session = requests.Session()
    first = hub.login(session, "alice", "pw", allow_redirects=False)
    assert first.status_code == 302
    assert first.headers["Location"] == "/hub/spawn"
    home = session.get(hub.url + "hub/home", timeout=30)
    assert home.status_code == 200 and home.url == hub.url + "hub/home"
    assert "alice" in home.text

    refused = hub.login(requests.Session(), "bob", "wrong")
    assert refused.url.startswith(hub.url + "hub/login")
    assert login_error(refused) == "Invalid username or password"

    users = hub.api("GET", "/users")
    assert users.status_code == 200, users.text
    assert [u["name"] for u in users.json()] == ["alice"]
    assert hub.api("POST", "/users/carol").status_code == 201
    assert "[D " in hub.log_text()  # log_level DEBUG

    # A restart keeps the URL and the database and takes the changed config:
    # without redirect_to_server, a login lands on the home page.
    url = hub.url
    hub.config += "c.JupyterHub.redirect_to_server = False\n"
    hub.restart()
    assert hub.url == url
    assert hub.api("GET", "/users/carol").status_code == 200
    landed = hub.login(requests.Session(), "carol", "pw")
    assert landed.status_code == 200 and landed.url == hub.url + "hub/home"
    assert hub.log_text().count("===== realhub start") == 2
