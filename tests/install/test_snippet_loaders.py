"""Every ``jupyterhub_config.d`` snippet under the three loaders that run them, and bad input.

The loaders are replicas written from their source (cited in ``install_loaders.py``):
a plain ``jupyterhub_config.py`` with traitlets' ``load_subconfig`` (ipython/traitlets
``traitlets/config/loader.py`` at f97e64b673bc0e9d607d8b40a3522ef3fd99165d), The Littlest
JupyterHub's ``tljh/jupyterhub_config.py`` (jupyterhub/the-littlest-jupyterhub at
84ed38fd1f7c239c30378fecc23079911224066c) and Zero-to-JupyterHub's
``jupyterhub/files/hub/jupyterhub_config.py`` + ``z2jh.py`` (jupyterhub/zero-to-jupyterhub-k8s
tag 4.4.0, 5c5f5df751588a68a7781ead01d0f62e88e2e72f). All run in-process through the real
``PyFileConfigLoader``; the resulting config is then handed to a real ``JupyterHub`` object.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from install_loaders import (
    SNIPPETS,
    UserCreatingSpawner,
    load_plain,
    load_tljh,
    load_z2jh,
    snippet,
)
from traitlets.config import Config

from hubtypes._data import templates_dir
from hubtypes.spawner.dropin import forget_claims

LOGIN = snippet("10-hubtypes-workshop.py")
COMMUNITY = snippet("20-hubtypes-spawner-community")
WORKSHOP = snippet("20-hubtypes-spawner-workshop")
BINDER = snippet("20-hubtypes-spawner-binder")
SERVICE = snippet("30-")
ROLES = {"hubtypes-workshop-service", "hubtypes-workshop-instructor"}
SCOPES = {"custom:workshops:admin", "custom:workshops:instruct"}


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    """Each test is a new hub process: no snippet loaded yet, no cluster, no TLJH."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("HUBTYPES_WORKSHOP_SERVICE_URL", raising=False)
    monkeypatch.delenv("HUBTYPES_DB_URL", raising=False)
    forget_claims()
    yield
    forget_claims()


def load(loader: str, files: list[Path], tmp: Path, monkeypatch: Any) -> Config:
    if loader == "plain":
        return load_plain(files, tmp)
    if loader == "tljh":
        return load_tljh(files, tmp, monkeypatch)
    return load_z2jh(tmp, monkeypatch, files=files)


def hub_of(c: Config) -> Any:
    """A real JupyterHub object with this config (its traits validate the values)."""
    from jupyterhub.app import JupyterHub

    if c.JupyterHub.get("proxy_class") == "traefik_file":
        # TLJH's proxy (jupyterhub-traefik-proxy) is not installed here
        c = Config(c)
        c.JupyterHub = Config(c.JupyterHub)
        del c.JupyterHub["proxy_class"]
    return JupyterHub(config=c)


def services(c: Config) -> list[dict]:
    return list(hub_of(c).services)


def workshop_services(c: Config) -> list[dict]:
    return [s for s in services(c) if s["name"] == "workshop"]


def role_names(c: Config) -> list[str]:
    return [r["name"] for r in hub_of(c).load_roles]


LOADERS = ["plain", "tljh", "z2jh"]


@pytest.mark.parametrize("loader", LOADERS)
def test_a_workshop_hub_under_every_loader(loader, tmp_path, monkeypatch, capsys):
    c = load(loader, [LOGIN, WORKSHOP, SERVICE], tmp_path, monkeypatch)
    hub = hub_of(c)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "get_config() missing" not in err
    assert hub.authenticator_class.__name__ == "WorkshopAuthenticator"
    assert str(templates_dir()) in hub.template_paths
    (service,) = workshop_services(c)
    assert service["oauth_client_allowed_scopes"] == sorted(SCOPES)
    assert "--HubTypesDatabase.url" not in " ".join(service["command"])
    assert ROLES <= set(role_names(c)) and len(role_names(c)) == len(set(role_names(c)))
    assert SCOPES <= set(hub.custom_scopes)
    spawner = hub.spawner_class
    if loader == "tljh":
        # TLJH's UserCreatingSpawner is left as it is, and the operator is told why
        assert spawner is UserCreatingSpawner
        assert "20-hubtypes-spawner-workshop.py: The Littlest JupyterHub" in err
        assert "tljh-config set hubtypes.type workshop" in err
        assert "HubTypeSpawnerMixin" not in c
    else:
        assert c.HubTypeSpawnerMixin.default_hub_type == "workshop"
        assert err.count("hubtypes:") == 0, err
    if loader == "z2jh":
        assert spawner.__name__ == "HubTypesKubeSpawner"
        assert service["url"] == "http://hub:10101"
        assert "--ip=0.0.0.0" in service["command"]
        # beside the hub in its pod: its API over loopback, as the chart's culler does
        assert "--HubServiceApp.hub_api_url=http://127.0.0.1:8081/hub/api" in service["command"]
        assert c.HubTypesKubeSpawner.kube_home_storage == "shared-volume"
        # the chart's culler is still there, once
        assert [s["name"] for s in services(c)] == ["jupyterhub-idle-culler", "workshop"]
    else:
        assert service["url"] == "http://127.0.0.1:10101"
        assert not any(a.startswith("--ip") for a in service["command"])
    if loader == "plain":
        assert spawner.__name__ == "HubTypesLocalSpawner"


@pytest.mark.parametrize("loader", ["plain", "z2jh"])
@pytest.mark.parametrize(
    "storage, hub_type", [(COMMUNITY, "community"), (BINDER, "binder"), (WORKSHOP, "workshop")]
)
def test_each_storage_snippet_alone(loader, storage, hub_type, tmp_path, monkeypatch, capsys):
    c = load(loader, [storage], tmp_path, monkeypatch)
    assert "hubtypes:" not in capsys.readouterr().err
    hub = hub_of(c)
    assert c.HubTypeSpawnerMixin.default_hub_type == hub_type
    assert c.HubTypeSpawnerMixin.storage_root == "/srv/hubtypes"
    assert not workshop_services(c)
    if loader == "z2jh":
        assert hub.spawner_class.__name__ == "HubTypesKubeSpawner"
        # the chart's default authenticator stays: these snippets configure storage only
        assert c.JupyterHub.authenticator_class == "dummy"
        if hub_type == "binder":
            assert c.KubeSpawner.storage_pvc_ensure is False
    else:
        assert hub.spawner_class.__name__ == "HubTypesLocalSpawner"


@pytest.mark.parametrize("loader", LOADERS)
def test_login_alone(loader, tmp_path, monkeypatch, capsys):
    c = load(loader, [LOGIN], tmp_path, monkeypatch)
    assert "hubtypes:" not in capsys.readouterr().err
    assert c.JupyterHub.authenticator_class == "workshop"
    assert c.Authenticator.refresh_pre_spawn is True
    assert "auth_refresh_strict" not in c.Authenticator  # the authenticator's own default
    assert not workshop_services(c)


def test_the_service_on_kubernetes_can_be_moved(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBTYPES_WORKSHOP_SERVICE_URL", "http://hub:10202")
    monkeypatch.setenv("HUBTYPES_DB_URL", "postgresql+psycopg2://h:secret@db/hubtypes")
    c = load_z2jh(tmp_path, monkeypatch, files=[LOGIN, SERVICE])
    (service,) = workshop_services(c)
    assert service["url"] == "http://hub:10202" and "--ip=0.0.0.0" in service["command"]
    # the password reaches the service by its environment, never by its logged command
    assert service["environment"] == {
        "HUBTYPES_DB_URL": "postgresql+psycopg2://h:secret@db/hubtypes"
    }
    assert not any("secret" in a for a in service["command"])


def test_the_api_over_loopback_keeps_the_base_url(tmp_path, monkeypatch):
    c = load_z2jh(
        tmp_path, monkeypatch, files=[LOGIN, SERVICE], values={"hub": {"baseUrl": "/jh/"}}
    )
    (service,) = workshop_services(c)
    assert "--HubServiceApp.hub_api_url=http://127.0.0.1:8081/jh/hub/api" in service["command"]


OAUTH = snippet("10-hubtypes-workshop-oauth")
GRANTS = {"identity_kind": "login", "lowercase": False, "username_map": {"Old-Name": "new"}}
GRANTS_ARGS = [
    "--WorkshopGrants.identity_kind=login",
    "--WorkshopGrants.lowercase=False",
    "--WorkshopGrants.username_map=Old-Name=new",
]


def test_the_service_gets_the_hubs_grant_rules(tmp_path, monkeypatch):
    """c.WorkshopGrants, set in the hub's config (hub.config here, as docs/workshop-oauth.md
    has it), reaches the service, a process of its own, on its command line; the service
    started with those options then refuses an email on a hub that names people by login."""
    import asyncio

    from hubtypes.errors import InputError
    from hubtypes.services.workshop.app import WorkshopService
    from hubtypes.services.workshop.authz import Identity
    from hubtypes.services.workshop.hub_config import ADMIN_SCOPE

    config = {"JupyterHub": {"authenticator_class": "workshop-github"}, "WorkshopGrants": GRANTS}
    c = load_z2jh(tmp_path, monkeypatch, files=[OAUTH, SERVICE], values={"hub": {"config": config}})
    (service,) = workshop_services(c)
    assert service["command"][-3:] == GRANTS_ARGS, service["command"]
    # without any, nothing is added
    forget_claims()
    bare = load_z2jh(tmp_path / "bare", monkeypatch, files=[OAUTH, SERVICE])
    assert not any("WorkshopGrants" in a for a in workshop_services(bare)[0]["command"])

    monkeypatch.chdir(tmp_path)  # no service config file here
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "test-token")
    monkeypatch.setenv("HUBTYPES_DB_URL", f"sqlite:///{tmp_path / 'hubtypes.sqlite'}")
    WorkshopService.clear_instance()
    app = WorkshopService()
    try:
        app.initialize(service["command"][3:])
        web_app, _ = app.build()
        grants = web_app.settings["grants"]
        assert grants.rules.username_map == (("old-name", "new"),) and not grants.rules.lowercase
        admin = Identity("ops", scopes=frozenset({ADMIN_SCOPE}))
        body = {"identities": ["ann@example.org"]}
        with pytest.raises(InputError, match="is an email"):
            asyncio.run(grants.add(admin, "py", body))
    finally:
        WorkshopService.clear_instance()


# --- bad input ------------------------------------------------------------------------


def assert_one_clear_line(err: str, *parts: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("hubtypes:")]
    assert len(lines) == 1, err
    for part in parts:
        assert part in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("loader", ["plain", "z2jh"])
def test_loaded_twice_changes_nothing_and_says_so(loader, tmp_path, monkeypatch, capsys):
    once = load(loader, [LOGIN, SERVICE], tmp_path / "once", monkeypatch)
    capsys.readouterr()
    if loader == "plain":
        c = load_plain([LOGIN, SERVICE, SERVICE], tmp_path / "twice")
    else:
        # the chart loads jupyterhub_config.d, then hub.extraConfig: the same file in both
        extra = {"again": SERVICE.read_text()}
        c = load_z2jh(
            tmp_path / "twice", monkeypatch, files=[LOGIN, SERVICE],
            values={"hub": {"extraConfig": extra}},
        )  # fmt: skip
    err = capsys.readouterr().err
    assert_one_clear_line(err, "30-hubtypes-workshop-service.py", "loaded again", "Load it once")
    assert workshop_services(c) == workshop_services(once)
    assert role_names(c) == role_names(once)
    assert template_count(c) == 1


def template_count(c: Config) -> int:
    return hub_of(c).template_paths.count(str(templates_dir()))


def test_login_loaded_twice(tmp_path, capsys):
    c = load_plain([LOGIN, LOGIN], tmp_path)
    assert_one_clear_line(capsys.readouterr().err, "10-hubtypes-workshop.py", "loaded again")
    assert c.JupyterHub.authenticator_class == "workshop" and template_count(c) == 1


def test_service_before_the_login(tmp_path, capsys):
    """Only a plain config can get the order wrong: TLJH and Z2JH load files sorted."""
    c = load_plain([SERVICE, LOGIN], tmp_path)
    assert_one_clear_line(
        capsys.readouterr().err,
        "30-hubtypes-workshop-service.py",
        "before 10-hubtypes-workshop.py, or without it",
        "Load 10-hubtypes-workshop.py first",
    )
    assert c.JupyterHub.authenticator_class == "workshop"
    assert not workshop_services(c) and not ROLES & set(role_names(c))


@pytest.mark.parametrize("loader", LOADERS)
def test_service_without_the_login(loader, tmp_path, monkeypatch, capsys):
    c = load(loader, [SERVICE], tmp_path, monkeypatch)
    assert_one_clear_line(capsys.readouterr().err, "30-hubtypes-workshop-service.py", "first")
    assert not workshop_services(c) and "post_auth_hook" not in c.WorkshopAuthenticator


def test_service_with_the_workshop_login_set_by_hand(tmp_path, monkeypatch, capsys):
    """Z2JH's hub.config is applied before the snippets, so the service snippet sees it."""
    values = {"hub": {"config": {"JupyterHub": {"authenticator_class": "workshop"}}}}
    c = load_z2jh(tmp_path, monkeypatch, files=[SERVICE], values=values)
    assert "hubtypes:" not in capsys.readouterr().err
    assert len(workshop_services(c)) == 1


@pytest.mark.parametrize("loader", ["plain", "z2jh"])
def test_two_hub_types(loader, tmp_path, monkeypatch, capsys):
    c = load(loader, [COMMUNITY, WORKSHOP], tmp_path, monkeypatch)
    assert_one_clear_line(
        capsys.readouterr().err,
        "20-hubtypes-spawner-workshop.py",
        "20-hubtypes-spawner-community.py already made this a community hub",
        "Keep one 20-hubtypes-spawner-*.py file",
    )
    assert c.HubTypeSpawnerMixin.default_hub_type == "community"
    assert "archive_root" not in c.HubTypeSpawnerMixin  # nothing of the workshop file


def test_a_service_already_in_hub_services(tmp_path, monkeypatch, capsys):
    values = {"hub": {"services": {"workshop": {"url": "http://hub:10101", "command": ["x"]}}}}
    c = load_z2jh(tmp_path, monkeypatch, files=[LOGIN, SERVICE], values=values)
    assert_one_clear_line(
        capsys.readouterr().err, "already configured", "hub.services.workshop", "Remove the other"
    )
    (service,) = workshop_services(c)
    assert service["command"] == ["x"] and service["api_token"] == "token-of-workshop"
    assert ROLES <= set(role_names(c))


def test_the_post_auth_hook_chains_the_operators_once(tmp_path, monkeypatch):
    """A real WorkshopAuthenticator built from the config: the operator's hook, set in the
    main file *after* load_subconfig (which a fresh sub-config cannot see), runs once."""
    from hubtypes.auth.workshop import WorkshopAuthenticator

    after = (
        "calls = []\n"
        "def operators_hook(authenticator, handler, authentication):\n"
        "    calls.append(authentication['name'])\n"
        "    authentication['seen'] = len(calls)\n"
        "    return authentication\n"
        "c.Authenticator.post_auth_hook = operators_hook\n"
        f"c.HubTypesDatabase.url = 'sqlite:///{tmp_path}/hubtypes.sqlite'\n"
    )
    c = load_plain([LOGIN, SERVICE, SERVICE], tmp_path, after=after)
    authenticator = WorkshopAuthenticator(config=c)
    result = asyncio.run(
        authenticator.post_auth_hook(authenticator, None, {"name": "ada", "groups": []})
    )
    assert result["seen"] == 1 and result["groups"] == []


def test_no_snippet_calls_get_config():
    for path in SNIPPETS.glob("*.py"):
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        assert "get_config(" not in code, path.name
