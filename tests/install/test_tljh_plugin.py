"""The TLJH plugin, called the way The Littlest JupyterHub calls it.

:data:`TLJH_JUPYTERHUB_CONFIG` is the hub config TLJH's hub loads, rebuilt from TLJH's
source at jupyterhub/the-littlest-jupyterhub commit
84ed38fd1f7c239c30378fecc23079911224066c (TLJH is not on PyPI, so it cannot be installed):

* ``tljh/jupyterhub_config.py``: spawner = UserCreatingSpawner, ``cleanup_servers`` off,
  ``configurer.load_config()`` + ``apply_config(…, c)``, then
  ``get_plugin_manager().hook.tljh_custom_jupyterhub_config(c=c)``, then ``load_subconfig``
  of each ``config/jupyterhub_config.d/*.py`` (sorted). The hub port, the Traefik proxy and
  SystemdSpawner's ``extra_paths``/``default_shell``/``unit_name_template`` are left out:
  the test hub has its own ports and proxy, and those settings concern only systemd;
* ``tljh/configurer.py``: TLJH's defaults merged with ``config.yaml``, and the steps of
  ``apply_config`` that set what hubtypes reads or changes (base URL, auth, user lists,
  ``UserCreatingSpawner.user_groups``, limits, default app, ``username_template``, services
  with ``cull-idle``); the Traefik API step is left out. TLJH reads YAML with ruamel.yaml's
  round-trip loader; plain data reads the same with PyYAML;
* ``tljh/config.py``: ``INSTALL_PREFIX`` from ``$TLJH_INSTALL_PREFIX`` (TLJH's systemd unit,
  ``tljh/systemd-units/jupyterhub.service``, sets it), ``config/config.yaml`` beneath;
* ``tljh/utils.py`` (``get_plugin_manager``: pluggy, project and entry-point group ``tljh``)
  and ``tljh/hooks.py`` (the hook specifications hubtypes implements, and
  ``tljh_new_user_create``, which TLJH calls on user creation);
* ``tljh/user_creating_spawner.py``, ``tljh/user.py`` (``ensure_user``: ``useradd
  --create-home``, ``chmod o-rwx`` the home; groups with ``gpasswd``) and
  ``tljh/normalize.py`` (``generate_system_username``);
* ``tljh/installer.py`` (``ensure_usergroups``): the groups ``jupyterhub-users`` and
  ``jupyterhub-admins`` exist before any user is created.

The one thing that is not real is systemd: SystemdSpawner (jupyterhub/systemdspawner
commit 9a0a7f4efe543f50517f84f9985c38269afc77c3, ``systemdspawner/systemdspawner.py``) runs
each server in a transient unit with ``systemd-run``, and systemd is not this machine's
init, so no unit can start here or in CI. The replica's ``SystemdSpawner`` is JupyterHub's
LocalProcessSpawner doing what SystemdSpawner does about the server's user
(``username_template`` expanded), working directory (``user_workingdir``, else the user's
home) and environment (``get_env()`` passed over systemd's ``USER``/``HOME``/``SHELL``).
TLJH's user creation, its config, pluggy, JupyterHub and the single-user server are real.
"""

from __future__ import annotations

import fcntl
import grp
import logging
import os
import pwd
import re
import stat
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
import traitlets.log
import yaml
from jupyterhub.app import JupyterHub
from realhub import HubFactory, RealHub, free_port
from rows import add_workshop
from traitlets.config import Config

import hubtypes.tljh
from hubtypes.spawner.dropin import forget_claims
from hubtypes.spawner.tljh import TLJHSpawnerMixin, tljh_spawner_class
from hubtypes.storage.slugs import group_name

REPO = Path(__file__).resolve().parents[2]

TLJH_JUPYTERHUB_CONFIG = r"""
# A replica of The Littlest JupyterHub's hub config: see tests/install/test_tljh_plugin.py.
import copy
import grp
import hashlib
import os
import pwd
import subprocess
import sys
from glob import glob

import pluggy
import yaml
from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Dict, List, Unicode

c = get_config()  # noqa: F821
# test scaffolding, not TLJH: the test hub's admin service (TLJH's services step resets the list)
TEST_SERVICES = list(c.JupyterHub.services) if "services" in c.JupyterHub else []

# --- tljh/config.py
INSTALL_PREFIX = os.environ.get("TLJH_INSTALL_PREFIX", "/opt/tljh")
CONFIG_DIR = os.path.join(INSTALL_PREFIX, "config")
CONFIG_FILE = os.path.join(CONFIG_DIR, "config.yaml")


# --- tljh/hooks.py
class hookspecs:
    spec = pluggy.HookspecMarker("tljh")

    @spec
    def tljh_extra_hub_pip_packages(): ...

    @spec
    def tljh_custom_jupyterhub_config(c): ...

    @spec
    def tljh_config_post_install(config): ...

    @spec
    def tljh_new_user_create(username): ...


# --- tljh/utils.py. The installed hubtypes may predate its "tljh" entry point (the tests
# run the source tree), so the plugin is registered by hand if the entry points lack it.
def get_plugin_manager():
    pm = pluggy.PluginManager("tljh")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints("tljh")
    import hubtypes.tljh

    if not pm.is_registered(hubtypes.tljh):
        pm.register(hubtypes.tljh)
    return pm


# --- tljh/normalize.py
def generate_system_username(username):
    if len(username) < 26:
        return username
    userhash = hashlib.sha256(username.encode("utf-8")).hexdigest()
    return f"{username[:26]}-{userhash[:5]}"


# --- tljh/user.py
def ensure_user(username):
    try:
        pwd.getpwnam(username)
        return
    except KeyError:
        pass
    subprocess.check_call(["useradd", "--create-home", username])
    subprocess.check_call(["chmod", "o-rwx", os.path.expanduser(f"~{username}")])
    get_plugin_manager().hook.tljh_new_user_create(username=username)


def ensure_user_group(username, groupname):
    if username in grp.getgrnam(groupname).gr_mem:
        return
    subprocess.check_call(["gpasswd", "--add", username, groupname])


def remove_user_group(username, groupname):
    if username not in grp.getgrnam(groupname).gr_mem:
        return
    subprocess.check_call(["gpasswd", "--delete", username, groupname])


# --- systemdspawner/systemdspawner.py, without systemd (see the test module's docstring)
class SystemdSpawner(LocalProcessSpawner):
    username_template = Unicode("{USERNAME}").tag(config=True)
    user_workingdir = Unicode(None, allow_none=True).tag(config=True)
    disable_user_sudo = Bool(False).tag(config=True)

    def _expand_user_vars(self, string):
        return string.format(USERNAME=self.user.name, USERID=self.user.id)

    def _unix_user(self):
        return pwd.getpwnam(self._expand_user_vars(self.username_template))

    def user_env(self, env):
        # systemd's User= gives USER, HOME and SHELL; get_env() is passed over them
        pw = self._unix_user()
        env.update(USER=pw.pw_name, HOME=pw.pw_dir, SHELL=pw.pw_shell)
        return env

    def make_preexec_fn(self, name):
        return set_user_setuid(self._unix_user().pw_name, chdir=False)

    async def start(self):
        pw = self._unix_user()  # SystemdSpawner: KeyError if there is no such user
        if self.user_workingdir is None:
            working_dir = pw.pw_dir
        else:
            working_dir = self._expand_user_vars(self.user_workingdir)
        self.popen_kwargs = dict(self.popen_kwargs, cwd=working_dir)
        return await super().start()


# --- tljh/user_creating_spawner.py
class UserCreatingSpawner(SystemdSpawner):
    user_groups = Dict(key_trait=Unicode(), value_trait=List(Unicode())).tag(config=True)

    def start(self):
        system_username = generate_system_username("jupyter-" + self.user.name)
        self.username_template = system_username
        ensure_user(system_username)
        ensure_user_group(system_username, "jupyterhub-users")
        if self.user.admin:
            self.disable_user_sudo = False
            ensure_user_group(system_username, "jupyterhub-admins")
        else:
            self.disable_user_sudo = True
            remove_user_group(system_username, "jupyterhub-admins")
        if self.user_groups:
            for group, users in self.user_groups.items():
                if self.user.name in users:
                    ensure_user_group(system_username, group)
        return super().start()


# --- tljh/configurer.py
default = {
    "base_url": "/",
    "auth": {
        "type": "firstuseauthenticator.FirstUseAuthenticator",
        "FirstUseAuthenticator": {"create_users": False},
    },
    "users": {"allowed": [], "banned": [], "admin": [], "extra_user_groups": {}},
    "limits": {"memory": None, "cpu": None},
    "user_environment": {"default_app": "jupyterlab"},
    "services": {
        "cull": {
            "enabled": True,
            "timeout": 600,
            "every": 60,
            "concurrency": 5,
            "users": False,
            "max_age": 0,
            "remove_named_servers": False,
        },
    },
}


def _merge_dictionaries(a, b):
    for key in b:
        if key in a and isinstance(a[key], dict) and isinstance(b[key], dict):
            _merge_dictionaries(a[key], b[key])
        else:
            a[key] = b[key]
    return a


def load_config(config_file=CONFIG_FILE):
    overrides = {}
    if os.path.exists(config_file):
        with open(config_file) as f:
            overrides = yaml.safe_load(f) or {}
    return _merge_dictionaries(copy.deepcopy(default), overrides)


def apply_config(config_overrides, c):
    config = _merge_dictionaries(copy.deepcopy(default), config_overrides)
    c.JupyterHub.base_url = config["base_url"]
    auth = config["auth"]
    c.JupyterHub.authenticator_class = auth["type"]
    for class_name, class_config in auth.items():
        if class_name != "type":
            for name, value in class_config.items():
                if value is not None:
                    setattr(c[class_name], name, value)
    users = config["users"]
    if (
        not users["allowed"]
        and auth["type"] == default["auth"]["type"]
        and "allow_all" not in c.FirstUseAuthenticator
    ):
        c.FirstUseAuthenticator.allow_all = True
    c.Authenticator.allowed_users = set(users["allowed"])
    c.Authenticator.blocked_users = set(users["banned"])
    c.Authenticator.admin_users = set(users["admin"])
    c.UserCreatingSpawner.user_groups = users["extra_user_groups"]
    c.Spawner.mem_limit = config["limits"]["memory"]
    c.Spawner.cpu_limit = config["limits"]["cpu"]
    if config["user_environment"]["default_app"] == "jupyterlab":
        c.Spawner.default_url = "/lab"
    elif config["user_environment"]["default_app"] == "classic":
        c.Spawner.default_url = "/tree"
    c.SystemdSpawner.username_template = "jupyter-{USERNAME}"
    c.JupyterHub.services = []
    cull = config["services"]["cull"]
    if cull["enabled"]:
        cmd = [sys.executable, "-m", "jupyterhub_idle_culler"]
        cmd += [f"--timeout={cull['timeout']}", f"--cull-every={cull['every']}"]
        cmd += [f"--concurrency={cull['concurrency']}", f"--max-age={cull['max_age']}"]
        if cull["users"]:
            cmd += ["--cull-users"]
        if cull["remove_named_servers"]:
            cmd += ["--remove-named-servers"]
        c.JupyterHub.services.append({"name": "cull-idle", "admin": True, "command": cmd})


# --- tljh/jupyterhub_config.py
c.JupyterHub.spawner_class = UserCreatingSpawner
c.JupyterHub.cleanup_servers = False
tljh_config = load_config()
apply_config(tljh_config, c)
pm = get_plugin_manager()
pm.hook.tljh_custom_jupyterhub_config(c=c)
for ec in sorted(glob(os.path.join(CONFIG_DIR, "jupyterhub_config.d", "*.py"))):
    load_subconfig(ec)  # noqa: F821

c.JupyterHub.services.extend(TEST_SERVICES)  # test scaffolding again
"""

NOW = datetime.now(timezone.utc)


def write_tljh(prefix: Path, tljh_yaml: dict[str, Any], snippets: dict[str, str] | None = None):
    """A TLJH install prefix: ``config/config.yaml`` (as ``tljh-config`` writes it) and
    ``config/jupyterhub_config.d/``; returns the path of the hub config."""
    config_d = prefix / "config" / "jupyterhub_config.d"
    config_d.mkdir(parents=True, exist_ok=True)
    (prefix / "state").mkdir(exist_ok=True)
    (prefix / "config" / "config.yaml").write_text(yaml.safe_dump(tljh_yaml))
    for name, text in (snippets or {}).items():
        (config_d / name).write_text(text)
    path = prefix / "hub" / "jupyterhub_config.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TLJH_JUPYTERHUB_CONFIG)
    return path


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]


@pytest.fixture
def hub_log() -> Iterator[Records]:
    """What the plugin logs, on the logger it logs to (the hub's, once a hub runs)."""
    logger = traitlets.log.get_logger()
    logger = getattr(logger, "logger", logger)  # a LoggerAdapter's logger
    handler = Records()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.fixture
def tljh_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Load TLJH's hub config for a given ``config.yaml`` with JupyterHub's own loader.

    ``auth.type`` is ``dummy`` unless given: TLJH's default, FirstUseAuthenticator, is not
    installed here, and JupyterHub imports the class when it loads the config."""
    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path / "tljh"))

    def load(tljh_yaml: dict[str, Any], snippets: dict[str, str] | None = None) -> Config:
        forget_claims()  # a new hub process: no snippet loaded yet
        tljh_yaml = {"auth": {"type": "dummy"}, **tljh_yaml}
        path = write_tljh(tmp_path / "tljh", tljh_yaml, snippets)
        app = JupyterHub()
        app.load_config_file(str(path))
        return app.config

    return load


def spawner_of(config: Config) -> type:
    cls = config.JupyterHub.spawner_class
    assert isinstance(cls, type)
    return cls


def resolved(value: Any, initial: Any) -> Any:
    """A config value; an extend()/update() of a trait not set (lazy) applied to ``initial``."""
    return value.get_value(initial) if hasattr(value, "get_value") else value


def services(config: Config) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in config.JupyterHub.services}


# --- the hooks on TLJH's config ---------------------------------------------------------


def test_workshop_hub_from_tljh_config(tljh_load, tmp_path: Path, hub_log: Records) -> None:
    db_url = "postgresql+psycopg2://hubtypes:s3cret@db.example/hubtypes"
    config = tljh_load(
        {
            "hubtypes": {"type": "workshop", "db_url": db_url, "service_port": 10222},
            "users": {"admin": ["ops"], "extra_user_groups": {"gpu": ["ops"]}},
        },
        snippets={"50-site.py": "c = get_config()\nc.Spawner.http_timeout = 77\n"},
    )
    spawner = spawner_of(config)
    names = [k.__name__ for k in spawner.__mro__]
    # TLJH's spawner, wrapped: the system user is created before the storage is made
    assert names[:6] == [
        "HubTypesUserCreatingSpawner",
        "TLJHSpawnerMixin",
        "HubTypeSpawnerMixin",
        "UserCreatingSpawner",
        "_StorageAfterUserCreation",
        "SystemdSpawner",
    ]
    assert config.JupyterHub.authenticator_class == "workshop"
    assert config.HubTypeSpawnerMixin.default_hub_type == "workshop"
    assert config.HubTypeSpawnerMixin.storage_root == "/srv/hubtypes"
    assert config.HubTypeSpawnerMixin.archive_root == "/srv/hubtypes-archive"
    assert config.HubTypesDatabase.url == db_url
    # TLJH's own settings stay
    assert config.UserCreatingSpawner.user_groups == {"gpu": ["ops"]}
    assert config.Authenticator.admin_users == {"ops"}
    assert config.SystemdSpawner.username_template == "jupyter-{USERNAME}"
    assert config.Spawner.http_timeout == 77  # jupyterhub_config.d still loads after us
    # the workshop service runs with TLJH's hub Python, beside TLJH's cull-idle
    svc = services(config)
    assert list(svc) == ["cull-idle", "workshop"]
    workshop = svc["workshop"]
    assert workshop["command"] == [sys.executable, "-m", "hubtypes.services.workshop"]
    assert workshop["url"] == "http://127.0.0.1:10222"
    assert workshop["environment"] == {"HUBTYPES_DB_URL": db_url}
    assert "s3cret" not in " ".join(workshop["command"])  # the hub logs service commands
    roles = {r["name"] for r in resolved(config.JupyterHub.load_roles, [])}
    assert {"hubtypes-workshop-service", "hubtypes-workshop-instructor"} <= roles
    assert "custom:workshops:admin" in resolved(config.JupyterHub.custom_scopes, {})
    assert callable(config.Authenticator.post_auth_hook)
    (line,) = [m for m in hub_log.at(logging.INFO) if m.startswith("hubtypes:")]
    assert "workshop hub on TLJH" in line and "s3cret" not in line
    assert hub_log.at(logging.ERROR) == []


def test_hubtypes_culler_replaces_tljhs_cull_idle(tljh_load) -> None:
    config = tljh_load({"hubtypes": {"type": "binder", "culler": True}})
    svc = services(config)
    assert list(svc) == ["culler"]  # cull-idle is gone: two cullers would race
    culler = svc["culler"]
    assert culler["command"][:3] == [sys.executable, "-m", "hubtypes.services.culler"]
    assert "--CullerService.default_hub_type=binder" in culler["command"]
    assert set(culler["environment"]) == {"HUBTYPES_DB_URL"}
    roles = {r["name"]: r for r in resolved(config.JupyterHub.load_roles, [])}
    assert roles["hubtypes-culler-service"]["services"] == ["culler"]


def test_tljhs_cull_settings_carry_over_to_hubtypes_culler(tljh_load, tmp_path, monkeypatch):
    """What the operator set under ``services.cull`` (tljh-config) reaches hubtypes' culler
    as the same idle-culler options TLJH's cull-idle gets (``set_cull_idle_service``);
    what they did not set keeps hubtypes' per-hub-type defaults."""
    from hubtypes.services.culler.app import CullerService

    cull = {"timeout": 1200, "every": 120, "users": True, "max_age": 7200,
            "remove_named_servers": False}  # fmt: skip
    config = tljh_load({"hubtypes": {"type": "workshop", "culler": True},
                        "services": {"cull": cull}})  # fmt: skip
    command = services(config)["culler"]["command"]
    args = command[3:]
    assert args[2:] == ["--timeout=1200", "--cull-every=120", "--max-age=7200",
                        "--cull-users=true", "--remove-named-servers=false"]  # fmt: skip
    monkeypatch.chdir(tmp_path)  # no config file of the culler's own here
    CullerService.clear_instance()
    app = CullerService()
    app.initialize(args)
    policies = app.cull_config().policies
    assert {p.idle_timeout for p in policies.values()} == {1200}
    assert {p.max_age for p in policies.values()} == {7200}
    assert {k for k, p in policies.items() if p.delete_user} == {"workshop-participant", "binder"}
    assert app.interval(app.cull_config()) == 120 and app.concurrency == 10
    # nothing set: the culler's own defaults (participants 30 min, binder 10 min and 6 h)
    plain = tljh_load({"hubtypes": {"type": "workshop", "culler": True}})
    assert services(plain)["culler"]["command"][3:] == args[:2]


def test_defaults_community_hub_and_one_class(tljh_load, tmp_path: Path) -> None:
    config = tljh_load({"hubtypes": {"type": "Community"}})
    assert config.HubTypeSpawnerMixin.default_hub_type == "community"
    # TLJH's authenticator and services are left alone on a community hub
    assert config.JupyterHub.authenticator_class == "dummy"
    assert list(services(config)) == ["cull-idle"]
    db = config.HubTypesDatabase.url
    assert db == f"sqlite:///{tmp_path}/tljh/state/hubtypes.sqlite"  # TLJH's state directory
    spawner = spawner_of(config)
    assert issubclass(spawner, TLJHSpawnerMixin)
    ucs = spawner.__mro__[3]
    assert tljh_spawner_class(ucs) is spawner  # built once per TLJH class
    assert tljh_spawner_class(spawner) is spawner  # and never wrapped twice


def test_not_switched_on(tljh_load, hub_log: Records) -> None:
    config = tljh_load({})
    assert spawner_of(config).__name__ == "UserCreatingSpawner"
    assert config.JupyterHub.authenticator_class == "dummy"
    assert "HubTypeSpawnerMixin" not in config
    (line,) = hub_log.at(logging.INFO)
    assert "sudo tljh-config set hubtypes.type workshop" in line


@pytest.mark.parametrize(
    ("section", "key", "fix"),
    [
        ({"type": "workshp"}, "hubtypes.type", "sudo tljh-config set hubtypes.type workshop"),
        ({"db_url": "x"}, "hubtypes.type", "sudo tljh-config set hubtypes.type workshop"),
        ({"type": 3}, "hubtypes.type", "sudo tljh-config set hubtypes.type workshop"),
        (
            {"type": "workshop", "service": "yes"},
            "hubtypes.service",
            "sudo tljh-config set hubtypes.service true",
        ),
        (
            {"type": "workshop", "service_port": True},
            "hubtypes.service_port",
            "sudo tljh-config set hubtypes.service_port 10101",
        ),
        (
            {"type": "binder", "storage_root": "srv/hubtypes"},
            "hubtypes.storage_root",
            "sudo tljh-config set hubtypes.storage_root /srv/hubtypes",
        ),
        (
            {"type": "workshop", "unassigned_type": "admin"},
            "hubtypes.unassigned_type",
            "sudo tljh-config set hubtypes.unassigned_type community",
        ),
        (
            {"type": "workshop", "tpye": "workshop"},
            "hubtypes.tpye",
            "sudo tljh-config unset hubtypes.tpye",
        ),
        (
            {"type": "workshop", "db_url": "mydb s3cret"},
            "hubtypes.db_url",
            "sudo tljh-config set hubtypes.db_url postgresql+psycopg2://",
        ),
        ("workshop", "hubtypes", "sudo tljh-config unset hubtypes"),
    ],
)
def test_bad_key_one_line_and_plain_tljh(
    tljh_load, hub_log: Records, section: Any, key: str, fix: str
) -> None:
    config = tljh_load({"hubtypes": section})
    (line,) = hub_log.at(logging.ERROR)
    assert f"tljh-config key {key} " in line, line
    assert fix in line and "sudo tljh-config reload" in line, line
    assert "s3cret" not in line  # a database URL may hold a password: never logged
    # the hub TLJH would have run without the plugin
    assert spawner_of(config).__name__ == "UserCreatingSpawner"
    assert config.JupyterHub.authenticator_class == "dummy"
    assert list(services(config)) == ["cull-idle"]
    assert "HubTypeSpawnerMixin" not in config and "HubTypesDatabase" not in config


def test_another_plugins_spawner_is_left_alone(hub_log: Records) -> None:
    c = Config()
    c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
    c.JupyterHub.authenticator_class = "dummy"
    hubtypes.tljh.configure(c, {"hubtypes": {"type": "workshop"}}, traitlets.log.get_logger())
    (line,) = hub_log.at(logging.ERROR)
    assert "not TLJH's UserCreatingSpawner" in line and "dockerspawner.DockerSpawner" in line
    assert c.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    assert c.JupyterHub.authenticator_class == "dummy"


def shipped(name: str) -> str:
    return (REPO / "jupyterhub_config.d" / name).read_text()


def test_warnings_cull_users_and_leftover_snippets(tljh_load, hub_log: Records) -> None:
    replaced = [
        "10-hubtypes-workshop.py",
        "20-hubtypes-spawner-workshop.py",
        "30-hubtypes-workshop-service.py",
        "40-hubtypes-culler.py",
    ]
    tljh_load(
        {"hubtypes": {"type": "workshop"}, "services": {"cull": {"users": True}}},
        snippets={name: shipped(name) for name in replaced},
    )
    warnings = hub_log.at(logging.WARNING)
    assert any("services.cull.users false" in w for w in warnings), warnings
    for name, fix in zip(
        replaced,
        ["hubtypes.type workshop", "wraps TLJH's spawner", "hubtypes.service true",
         "hubtypes.culler true"],
        strict=True,
    ):  # fmt: skip
        (line,) = [w for w in warnings if f"{name} is loaded after this plugin" in w]
        assert fix in line, line


# the docs have operators copy these two into TLJH's jupyterhub_config.d: they set the login
# only, which the plugin leaves to TLJH (docs/tljh.md, docs/workshop-oauth.md)
GITHUB = {
    "client_id": "id",
    "client_secret": "secret",
    "oauth_callback_url": "https://hub.example.org/hub/oauth_callback",
}


def test_binder_login_snippet_loads_without_a_warning(tljh_load, hub_log: Records) -> None:
    name = "50-hubtypes-binder-login.py"
    config = tljh_load({"hubtypes": {"type": "binder"}}, snippets={name: shipped(name)})
    assert hub_log.at(logging.WARNING) == [] and hub_log.at(logging.ERROR) == []
    assert config.JupyterHub.authenticator_class == "tmp"
    assert config.TmpAuthenticator.allow_all is True
    assert spawner_of(config).__name__ == "HubTypesUserCreatingSpawner"
    assert config.HubTypeSpawnerMixin.default_hub_type == "binder"


def test_oauth_recipe_of_the_docs(tljh_load, hub_log: Records) -> None:
    """docs/workshop-oauth.md, The Littlest JupyterHub: every tljh-config setting of the
    recipe, and 10-hubtypes-workshop-oauth.py copied into TLJH's jupyterhub_config.d."""
    name = "10-hubtypes-workshop-oauth.py"
    config = tljh_load(
        {
            "hubtypes": {"type": "community", "service": True},
            "auth": {
                "type": "workshop-github",
                "GitHubOAuthenticator": GITHUB,
                "WorkshopGrants": {"identity_kind": "login"},
            },
        },
        snippets={name: shipped(name)},
    )
    assert hub_log.at(logging.WARNING) == [] and hub_log.at(logging.ERROR) == []
    # the OAuth login with grants, TLJH's spawner wrapped, the workshop service
    assert config.JupyterHub.authenticator_class == "workshop-github"
    assert config.GitHubOAuthenticator.client_id == "id"
    assert spawner_of(config).__name__ == "HubTypesUserCreatingSpawner"
    assert config.HubTypeSpawnerMixin.default_hub_type == "community"
    workshop = services(config)["workshop"]
    assert workshop["command"] == [
        sys.executable, "-m", "hubtypes.services.workshop", "--WorkshopGrants.identity_kind=login"
    ]  # fmt: skip
    roles = {r["name"] for r in resolved(config.JupyterHub.load_roles, [])}
    assert {"hubtypes-workshop-service", "hubtypes-workshop-instructor"} <= roles
    # what the snippet sets: guests' sessions end soon after the lock, workshop servers
    assert config.Authenticator.auth_refresh_age == 60
    assert config.JupyterHub.allow_named_servers is True
    # without hubtypes.service the community hub has no workshop service
    plain = tljh_load(
        {"hubtypes": {"type": "community"}, "auth": {"type": "workshop-github"}},
        snippets={name: shipped(name)},
    )
    assert "workshop" not in services(plain)


OURS = ["workshop-github", "Workshop-Generic", "hubtypes.auth.oauth.WorkshopGoogleOAuthenticator"]


@pytest.mark.parametrize("auth_type", OURS)
def test_a_workshop_hub_keeps_the_operators_oauth_login_with_grants(tljh_load, auth_type) -> None:
    config = tljh_load({"hubtypes": {"type": "workshop"}, "auth": {"type": auth_type}})
    assert config.JupyterHub.authenticator_class == auth_type
    assert config.Authenticator.refresh_pre_spawn is True
    assert "workshop" in services(config)


def test_a_workshop_hub_replaces_other_logins() -> None:
    from hubtypes.auth.oauth import WorkshopGitHubOAuthenticator
    from hubtypes.tljh import operators_grants_authenticator as keeps

    assert keeps(WorkshopGitHubOAuthenticator) and keeps("workshop-cilogon")
    for other in ("dummy", "github", "workshop", "firstuseauthenticator.FirstUseAuthenticator",
                  None, JupyterHub):  # fmt: skip
        assert not keeps(other), other


def test_installer_hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tljh/installer.py`` (``setup_plugins``, ``run_plugin_actions``): a PluginManager
    for project ``tljh`` with TLJH's hook specs, then ``hook.tljh_extra_hub_pip_packages()``,
    each plugin's list chained."""
    import pluggy

    monkeypatch.setenv("TLJH_INSTALL_PREFIX", str(tmp_path))
    namespace: dict[str, Any] = {}
    start = TLJH_JUPYTERHUB_CONFIG.index("# --- tljh/hooks.py")
    end = TLJH_JUPYTERHUB_CONFIG.index("# --- tljh/utils.py")
    exec("import pluggy\n" + TLJH_JUPYTERHUB_CONFIG[start:end], namespace)
    pm = pluggy.PluginManager("tljh")
    pm.add_hookspecs(namespace["hookspecs"])
    pm.register(hubtypes.tljh)
    assert pm.hook.tljh_extra_hub_pip_packages() == [[]]
    write_tljh(tmp_path, {"hubtypes": {"type": "workshop", "db_url": "postgresql://h/db"}})
    assert pm.hook.tljh_extra_hub_pip_packages() == [["psycopg2-binary"]]


def test_entry_point_and_import_without_pluggy() -> None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["tljh"] == {"hubtypes": "hubtypes.tljh"}
    # TLJH imports every plugin each time it creates a user: cheap, and pluggy is optional
    code = (
        "import sys; sys.modules['pluggy'] = None\n"
        "import hubtypes.tljh as t\n"
        "assert callable(t.tljh_custom_jupyterhub_config)\n"
        "heavy = {'jupyterhub', 'sqlalchemy', 'tornado'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)


# --- a real hub: TLJH's spawner wrapped, a new system user, the workshop home ------------

TLJH_GROUPS = ("jupyterhub-users", "jupyterhub-admins")
_ACL = "system.posix_acl_access"


def _closed_ancestors(paths: list[str]) -> list[str]:
    """Directories above ``paths`` that other users cannot traverse (e.g. pyenv's /root)."""
    closed: set[str] = set()
    for path in paths:
        for parent in Path(os.path.realpath(path)).parents:
            if not os.stat(parent).st_mode & 0o001:
                closed.add(str(parent))
    return sorted(closed)


def _grant_group_traversal(directory: str, gid: int) -> None:
    """An ACL entry giving group ``gid`` search (x) permission on ``directory`` (no
    setfacl on the machines: the xattr's binary format, from acl(5)/linux posix_acl_xattr)."""
    mode = os.stat(directory).st_mode & 0o777
    undefined = 0xFFFFFFFF
    entries = [  # tag, permissions, id; sorted by tag as the kernel wants
        (0x01, mode >> 6 & 7, undefined),  # owner
        (0x04, mode >> 3 & 7, undefined),  # owning group
        (0x08, 1, gid),  # the TLJH users' group: x
        (0x10, (mode >> 3 & 7) | 1, undefined),  # mask
        (0x20, mode & 7, undefined),  # others
    ]
    acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
    os.setxattr(directory, _ACL, acl)


@pytest.fixture
def tljh_machine() -> Iterator[None]:
    """What TLJH's installer leaves: the groups ``jupyterhub-users``/``-admins``. And, for
    this machine only: TLJH users must reach the Python that runs their servers, which lives
    under pyenv's /root (0700); members of ``jupyterhub-users`` get search permission on
    such folders (an ACL entry) while the test runs, and the folder's mode is put back."""
    if os.geteuid() != 0:
        pytest.skip("creating system users needs root (CI runs as root)")
    # one at a time on this machine: .ci/run runs these tests on two JupyterHubs at once,
    # and the groups are the machine's (one run must not delete them under the other)
    lock = open(os.path.join(tempfile.gettempdir(), "hubtypes-tljh-machine.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    created = []
    for group in TLJH_GROUPS:
        try:
            grp.getgrnam(group)
        except KeyError:
            subprocess.run(["groupadd", group], check=True)
            created.append(group)
    gid = grp.getgrnam("jupyterhub-users").gr_gid
    code_paths = [sys.executable, sys.prefix, str(REPO), *[p for p in sys.path if p]]
    restore = []
    try:
        for directory in _closed_ancestors(code_paths):
            if os.listxattr(directory) and _ACL in os.listxattr(directory):
                continue  # it has an ACL of its own: leave it
            restore.append((directory, os.stat(directory).st_mode & 0o7777))
            _grant_group_traversal(directory, gid)
        yield
    finally:
        for directory, mode in restore:
            os.removexattr(directory, _ACL)
            os.chmod(directory, mode)
        for group in created:
            subprocess.run(["groupdel", group], check=False, capture_output=True)
        lock.close()  # releases the flock


def tljh_hub(factory: HubFactory, prefix: Path, tljh_yaml: dict[str, Any]) -> RealHub:
    """A real hub loading TLJH's config from ``prefix`` (plus this machine's server command
    in ``jupyterhub_config.d``, TLJH's place for site settings)."""
    site = (
        "c = get_config()\n"
        # TLJH's servers run the user environment's jupyterhub-singleuser; here, this Python's
        f"c.Spawner.cmd = [{sys.executable!r}, '-m', 'jupyterhub.singleuser']\n"
        "c.Spawner.http_timeout = 60\n"
    )
    write_tljh(prefix, tljh_yaml, {"50-site.py": site})
    # TLJH's systemd unit sets TLJH_INSTALL_PREFIX for the hub
    env = f"import os\nos.environ['TLJH_INSTALL_PREFIX'] = {str(prefix)!r}\n"
    return factory(env + TLJH_JUPYTERHUB_CONFIG)


@pytest.mark.hub
def test_spawn_creates_the_tljh_user_and_uses_the_workshop_home(
    real_hub_factory: HubFactory, tljh_machine: None, tmp_path: Path
) -> None:
    name = f"tl{uuid.uuid4().hex[:8]}"
    system = f"jupyter-{name}"  # TLJH's name for it (shorter than 26: not hashed)
    admin = f"tladm{uuid.uuid4().hex[:6]}"  # in no workshop: a community user
    for who in (system, f"jupyter-{admin}"):
        with pytest.raises(KeyError):
            pwd.getpwnam(who)
    # the test users must traverse the storage root's parents (pytest's tmp_path is 0700)
    base = Path(tempfile.mkdtemp(prefix="hubtypes-tljh-"))
    base.chmod(0o755)
    store = base / "store"
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    add_workshop(db_url, participants=[name], admins=[admin])
    hub: RealHub | None = None
    try:
        hub = tljh_hub(
            real_hub_factory,
            tmp_path / "tljh",
            {
                "hubtypes": {
                    "type": "workshop",
                    "db_url": db_url,
                    "storage_root": str(store),
                    "archive_root": str(base / "archive"),
                    "service_port": free_port(),
                },
                "services": {"cull": {"enabled": False}},  # idle-culler is not installed here
            },
        )
        log = hub.log_text()
        assert "Using Spawner: hubtypes.spawner.tljh.HubTypesUserCreatingSpawner" in log
        assert re.search(r"Using Authenticator: \S*WorkshopAuthenticator", log)
        # nothing hubtypes sets is unknown to this JupyterHub (TLJH pins 5.x)
        assert "not recognized" not in log, log
        # the workshop service runs, started with TLJH's hub Python, behind the proxy
        r = requests.get(f"{hub.url}services/workshop/api/workshops", timeout=30)
        assert r.status_code in (401, 403), (r.status_code, r.text[:300])

        assert hub.api("POST", f"/users/{name}").status_code == 201
        assert hub.api("POST", f"/users/{name}/server").status_code in (201, 202)
        hub.wait_ready(name)

        pw = pwd.getpwnam(system)  # created at spawn by TLJH's UserCreatingSpawner
        assert system in grp.getgrnam("jupyterhub-users").gr_mem
        assert system in grp.getgrnam(group_name("py-101", "m")).gr_mem
        home = store / "workshops/py-101" / name
        st = home.stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (pw.pw_uid, 0o700)
        assert os.readlink(home / "materials") == "../_materials"
        pid, env = hub.server_process(name)
        assert Path(f"/proc/{pid}").stat().st_uid == pw.pw_uid  # runs as jupyter-<name>
        assert env["HOME"] == str(home) and env["USER"] == system
        assert os.readlink(f"/proc/{pid}/cwd") == str(home)  # SystemdSpawner's working dir
        assert env["HUBTYPES_WORKSHOP"] == "py-101"

        token = hub.api("POST", f"/users/{name}/tokens", json={"note": "t"}).json()["token"]
        body = {"type": "file", "format": "text", "content": "mine"}
        url = f"{hub.url}user/{name}/api/contents/notes.txt"
        r = requests.put(url, json=body, headers={"Authorization": f"token {token}"}, timeout=30)
        assert r.status_code == 201, r.text
        assert (home / "notes.txt").stat().st_uid == pw.pw_uid

        # a community user (the workshop hub's admin) keeps TLJH's own home
        assert hub.api("POST", f"/users/{admin}").status_code == 201
        assert hub.api("POST", f"/users/{admin}/server").status_code in (201, 202)
        hub.wait_ready(admin)
        admin_pw = pwd.getpwnam(f"jupyter-{admin}")
        pid, env = hub.server_process(admin)
        assert env["HUBTYPES_TYPE"] == "community"
        assert env["HOME"] == admin_pw.pw_dir == f"/home/jupyter-{admin}"
        assert os.readlink(f"/proc/{pid}/cwd") == admin_pw.pw_dir
        assert not (store / "community").exists()
    finally:
        if hub is not None and hub.running:
            # TLJH sets cleanup_servers = False: stop the servers before the hub goes
            for who in (name, admin):
                hub.api("DELETE", f"/users/{who}/server")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                users = [hub.api("GET", f"/users/{who}").json() for who in (name, admin)]
                if not any(u.get("servers") for u in users):
                    break
                time.sleep(0.2)
        for who in (system, f"jupyter-{admin}"):
            subprocess.run(["userdel", "--remove", who], check=False, capture_output=True)
        for kind in "mi":
            subprocess.run(["groupdel", group_name("py-101", kind)], check=False)
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=False)


@pytest.mark.hub
def test_bad_key_hub_starts_as_plain_tljh(real_hub_factory: HubFactory, tmp_path: Path) -> None:
    hub = tljh_hub(
        real_hub_factory,
        tmp_path / "tljh",
        {
            "hubtypes": {"type": "workshp"},
            "auth": {"type": "dummy"},
            "services": {"cull": {"enabled": False}},
        },
    )
    log = hub.log_text()
    lines = [line for line in log.splitlines() if "tljh-config key hubtypes.type" in line]
    assert len(lines) == 1, log
    assert "sudo tljh-config set hubtypes.type workshop" in lines[0]
    assert "Traceback" not in log
    spawner_line = re.search(r"Using Spawner: (\S+)", log)
    assert spawner_line and spawner_line.group(1).endswith(".UserCreatingSpawner"), log
    assert re.search(r"Using Authenticator: \S*DummyAuthenticator", log)
