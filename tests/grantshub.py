"""A real hub whose login is OAuth (GenericOAuthenticator + WorkshopAccessMixin), with the
workshop service, against the authlib provider of tests/oauth_provider.py. Shared by the
grants tests (tests/services/workshop/test_grants_hub.py, test_grants_page_cli.py,
test_browser_grants.py) so each starts the same hub in one call::

    from grantshub import provider_fixture  # the ``provider`` fixture, found by pytest

    def test_x(real_hub_factory, provider, tmp_path):
        gh = grantshub.start(real_hub_factory, provider, tmp_path)
        session, home = grantshub.oauth_login(gh.hub.url, "alice")

Time passing (a workshop locking, then its purge) is stood in for by :func:`move_dates`,
which moves the workshop's dates into the past in hubtypes' database; nothing else is faked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import clirun
import pytest
import requests
import svchub
from oauth_provider import OAuthProvider
from realhub import NO_LAB_ARGS
from sqlalchemy import create_engine, text

CONFIG = """
import os
os.environ["HUBTYPES_WORKSHOP_SERVICE_URL"] = "http://127.0.0.1:{service_port}"
os.environ["HUBTYPES_DB_URL"] = {db_url!r}
c.HubTypesDatabase.url = {db_url!r}
c.JupyterHub.authenticator_class = "hubtypes.auth.oauth.WorkshopGenericOAuthenticator"
{provider}
c.GenericOAuthenticator.allowed_users = {{"carol"}}
c.GenericOAuthenticator.admin_users = {{"boss"}}
load_subconfig({oauth_d!r})
load_subconfig({service_d!r})
c.Authenticator.auth_refresh_age = 1
c.JupyterHub.services[-1]["command"] += ["--WorkshopService.lifecycle_interval=3600"]
c.JupyterHub.load_roles[0]["scopes"].append("custom:workshops:admin")
c.JupyterHub.default_url = "/hub/home"
c.JupyterHub.allow_named_servers = True
c.JupyterHub.spawner_class = "hubtypes.spawner.entrypoints.HubTypesSimpleSpawner"
c.HubTypeSpawnerMixin.storage_root = {storage!r}
c.HubTypeSpawnerMixin.policy_overrides = {{"workshop": {{"on_delete": "delete"}}}}
c.Spawner.args = {server_args!r}
c.Spawner.default_url = "/api"
{extra}
"""


class GrantsHub(svchub.ServiceHub):
    """svchub's ServiceHub (service calls, CLI, forms) plus the OAuth provider and storage."""

    provider: OAuthProvider
    storage: Path


def start(factory: Any, provider: OAuthProvider, tmp_path: Path, extra: str = "") -> GrantsHub:
    """Start the hub and wait for the workshop service; ``extra``: more config lines."""
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    storage = tmp_path / "storage"
    # the database exists before the hub and the service open it
    clirun.db_upgrade(db_url)
    d = svchub.config_d_dir()
    config = CONFIG.format(
        service_port=svchub.free_port(),
        db_url=db_url,
        provider=provider.generic_config(),
        oauth_d=str(d / "10-hubtypes-workshop-oauth.py"),
        service_d=str(d / "30-hubtypes-workshop-service.py"),
        storage=str(storage),
        server_args=["--allow-root", *NO_LAB_ARGS],  # the lab is not the point
        extra=extra,
    )
    gh = GrantsHub(factory(config), db_url, tmp_path)
    gh.provider = provider
    gh.storage = storage
    gh.wait_service()
    return gh


def oauth_login(hub_url: str, who: str) -> tuple[requests.Session, requests.Response]:
    """Log in like a person: the hub sends us to the provider, we sign in, it sends us back."""
    s = requests.Session()
    page = s.get(hub_url + "hub/oauth_login", timeout=30)
    assert "Sign in to Loopback ID" in page.text, page.text[:500]
    return s, s.post(page.url, data={"who": who}, timeout=60)


def move_dates(db_url: str, slug: str, **columns: str) -> None:
    """Stand in for time passing: the workshop's dates in the past (SQLite's own clock)."""
    engine = create_engine(db_url)
    sets = ", ".join(f"{k} = datetime('now', {v!r})" for k, v in columns.items())
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE hubtypes_workshops SET {sets} WHERE slug = :s"), {"s": slug})
    engine.dispose()


@pytest.fixture(name="provider")
def provider_fixture() -> Iterator[OAuthProvider]:
    """The provider, as the ``provider`` fixture (import this name into a test module)."""
    p = OAuthProvider.start()
    yield p
    p.stop()
