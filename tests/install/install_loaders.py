"""Replicas of the three ways a hub loads ``jupyterhub_config.d`` snippets, written from their
source, run in-process with the real traitlets ``PyFileConfigLoader`` (no hub starts).

Each replica is a config *file* loaded by traitlets, so a snippet sees exactly the namespace
its loader gives it. traitlets ``traitlets/config/loader.py`` (ipython/traitlets at
f97e64b673bc0e9d607d8b40a3522ef3fd99165d, v5.16.1+18; the installed 5.15 is the same there):
``PyFileConfigLoader._read_file_as_dict`` execs a file in
``namespace = dict(c=self.config, load_subconfig=..., get_config=..., __file__=...)``, and
``load_subconfig(fname)`` loads ``fname`` with a *new* loader, i.e. into a fresh ``Config``,
then ``self.config.merge(sub_config)`` (lazy ``append``/``extend``/``update`` values merge
into the parent's, plain values replace them).

- :func:`load_plain`: a plain ``jupyterhub_config.py`` calling ``load_subconfig`` per file.
- :func:`load_tljh`: jupyterhub/the-littlest-jupyterhub ``tljh/jupyterhub_config.py`` at
  84ed38fd1f7c239c30378fecc23079911224066c: ``c = get_config()``; imports
  ``tljh.user_creating_spawner`` and sets ``c.JupyterHub.spawner_class = UserCreatingSpawner``
  (a class, not a name); sets cleanup_servers, hub_port, the traefik proxy; applies
  tljh-config; calls ``pm.hook.tljh_custom_jupyterhub_config(c=c)``; then
  ``for ec in sorted(glob(os.path.join(CONFIG_DIR, "jupyterhub_config.d", "*.py"))):
  load_subconfig(ec)``. TLJH itself cannot be installed here (it is not on PyPI and
  installs into /opt/tljh with systemd), so ``tljh.user_creating_spawner`` is a stand-in
  module holding a ``UserCreatingSpawner`` class; tljh-config and plugins are left out.
- :func:`load_z2jh`: jupyterhub/zero-to-jupyterhub-k8s ``jupyterhub/files/hub/
  jupyterhub_config.py`` and ``jupyterhub/files/hub/z2jh.py`` at chart tag 4.4.0
  (5c5f5df751588a68a7781ead01d0f62e88e2e72f; both files are unchanged at main
  48ea50e34daddde55d76e30df6ecd47e4abd4d8e): ``c = get_config()`` first, then
  ``from z2jh import get_config, get_name, get_name_env, get_secret_value,
  set_config_if_not_none`` (from there on ``get_config(key, default=None)`` reads the
  chart's values), the chart's settings, ``c.JupyterHub.services = []`` and
  ``load_roles = []``, the culler service, ``hub.services`` and ``hub.loadRoles`` (dicts
  turned into lists, ``name`` defaulted to the key, ``api_token`` from the chart's
  secret), ``hub.config`` passed through, then every
  ``/usr/local/etc/jupyterhub/jupyterhub_config.d/*.py``, sorted, ``exec(compile(source=...,
  filename=file_name, mode="exec"))`` in that same namespace, then each ``hub.extraConfig``
  entry, sorted by key, ``exec(config_py)``. Left out, as they set nothing a hubtypes snippet
  reads: image pull secrets, scheduling, node affinity, cloud-metadata blocking, the curl
  HTTP client (configuring it in-process would change other tests' HTTP clients),
  common labels and the singleuser ``extraFiles``.
"""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets.config import Config, PyFileConfigLoader

from hubtypes._data import config_d_dir
from hubtypes.spawner.dropin import forget_claims

SNIPPETS = config_d_dir()


def snippet(name: str) -> Path:
    """A shipped snippet by the start of its name, e.g. ``"10"`` or ``"20-hubtypes-spawner-b"``."""
    (path,) = [p for p in SNIPPETS.glob("*.py") if p.name.startswith(name)]
    return path


def _load(main: Path) -> Config:
    """Load ``main`` as JupyterHub does (``Application.load_config_file`` uses this loader),
    in a process that has loaded no snippet yet."""
    forget_claims()
    return PyFileConfigLoader(main.name, path=str(main.parent)).load_config()


# --- a plain jupyterhub_config.py -------------------------------------------------------


def load_plain(files: Iterable[Path], tmp: Path, before: str = "", after: str = "") -> Config:
    lines = ["c = get_config()  # noqa", before]
    lines += [f"load_subconfig({str(f)!r})" for f in files]
    lines.append(after)
    tmp.mkdir(parents=True, exist_ok=True)
    main = tmp / "jupyterhub_config.py"
    main.write_text("\n".join(lines) + "\n")
    return _load(main)


# --- The Littlest JupyterHub -----------------------------------------------------------

TLJH_CONFIG = """\
import os
from glob import glob

from tljh.user_creating_spawner import UserCreatingSpawner

c = get_config()  # noqa
c.JupyterHub.spawner_class = UserCreatingSpawner
c.JupyterHub.cleanup_servers = False
c.JupyterHub.hub_port = 15001
c.TraefikProxy.should_start = False
c.JupyterHub.proxy_class = "traefik_file"
c.SystemdSpawner.default_shell = "/bin/bash"
c.SystemdSpawner.unit_name_template = "jupyter-{{USERNAME}}"
# (tljh-config and pm.hook.tljh_custom_jupyterhub_config(c=c) would run here)
CONFIG_DIR = {config_dir!r}
extra_configs = sorted(glob(os.path.join(CONFIG_DIR, "jupyterhub_config.d", "*.py")))
for ec in extra_configs:
    load_subconfig(ec)
"""


class UserCreatingSpawner(LocalProcessSpawner):
    """Stands in for ``tljh.user_creating_spawner.UserCreatingSpawner`` (a SystemdSpawner
    subclass; systemdspawner is not installed here, so a real spawner of the hub's own)."""


def tljh_modules() -> dict[str, types.ModuleType]:
    """``sys.modules`` entries for the stand-in ``tljh.user_creating_spawner``."""
    package = types.ModuleType("tljh")
    module = types.ModuleType("tljh.user_creating_spawner")
    module.UserCreatingSpawner = UserCreatingSpawner  # type: ignore[attr-defined]
    package.user_creating_spawner = module  # type: ignore[attr-defined]
    return {"tljh": package, "tljh.user_creating_spawner": module}


def load_tljh(files: Iterable[Path], tmp: Path, monkeypatch: Any) -> Config:
    """TLJH's config with ``files`` copied into ``{CONFIG_DIR}/jupyterhub_config.d``."""
    for name, module in tljh_modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    config_d = tmp / "tljh-config" / "jupyterhub_config.d"
    config_d.mkdir(parents=True)
    for f in files:
        (config_d / f.name).write_text(f.read_text())
    main = tmp / "tljh_jupyterhub_config.py"
    main.write_text(TLJH_CONFIG.format(config_dir=str(config_d.parent)))
    return _load(main)


# --- Zero-to-JupyterHub ----------------------------------------------------------------

# the chart's values.yaml defaults (tag 4.4.0) for the keys the replica below reads
CHART_DEFAULTS: dict[str, Any] = {
    "fullnameOverride": "",
    "Chart": {"Name": "jupyterhub", "Version": "4.4.0", "AppVersion": "5.5.0"},
    "Release": {"Name": "hubtypes", "Namespace": "hubtypes"},
    "hub": {
        "baseUrl": "/",
        "config": {"JupyterHub": {"admin_access": True, "authenticator_class": "dummy"}},
        "db": {"type": "sqlite-pvc", "url": None, "password": None},
        "services": {},
        "loadRoles": {},
        "extraConfig": {},
        "extraFiles": {},
    },
    "singleuser": {
        "storage": {
            "type": "dynamic",
            "capacity": "10Gi",
            "homeMountPath": "/home/jovyan",
            "static": {"pvcName": None, "subPath": "{username}"},
            "dynamic": {
                "storageClass": None,
                "pvcNameTemplate": None,
                "volumeNameTemplate": "volume-{user_server}",
                "storageAccessModes": ["ReadWriteOnce"],
                "subPath": None,
            },
            "extraVolumes": None,
            "extraVolumeMounts": None,
        },
    },
    "cull": {
        "enabled": True,
        "users": False,
        "adminUsers": True,
        "removeNamedServers": False,
        "timeout": 3600,
        "every": 600,
        "concurrency": 10,
        "maxAge": 0,
    },
    "debug": {"enabled": False},
}


def merge_values(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """``z2jh._merge_dictionaries`` (as Helm merges a values file into the defaults)."""
    merged = dict(a)
    for key in b:
        if key in a and isinstance(a[key], Mapping) and isinstance(b[key], Mapping):
            merged[key] = merge_values(a[key], b[key])
        else:
            merged[key] = b[key]
    return merged


def z2jh_module(values: Mapping[str, Any], secrets: Mapping[str, str]) -> types.ModuleType:
    """The chart's ``z2jh`` helpers over ``values`` instead of the mounted k8s Secret.

    ``get_name`` answers what the chart's ConfigMap holds with ``fullnameOverride: ""``
    (the short names: ``hub``, ``proxy-api``, ...); ``get_name_env`` reads the Kubernetes
    service variables from the environment as the chart does.
    """
    import os

    module = types.ModuleType("z2jh")

    def get_config(key: str, default: Any = None) -> Any:
        value: Any = values
        for level in key.split("."):
            if not isinstance(value, dict) or level not in value:
                return default
            value = value[level]
        return value

    def get_secret_value(key: str, default: Any = "never-explicitly-set") -> Any:
        if key in secrets:
            return secrets[key]
        if default != "never-explicitly-set":
            return default
        raise Exception(f"{key} not found in either k8s Secret!")

    def get_name(name: str) -> str:
        return name

    def get_name_env(name: str, suffix: str = "") -> str:
        return os.environ[(get_name(name) + suffix).upper().replace("-", "_")]

    def set_config_if_not_none(cparent: Any, name: str, key: str) -> None:
        data = get_config(key)
        if data is not None:
            setattr(cparent, name, data)

    for f in (get_config, get_secret_value, get_name, get_name_env, set_config_if_not_none):
        setattr(module, f.__name__, f)
    return module


Z2JH_CONFIG = textwrap.dedent(
    """\
    c = get_config()  # noqa

    import glob
    import os
    import re
    import sys

    from jupyterhub.utils import url_path_join
    from tornado.httpclient import AsyncHTTPClient

    from z2jh import (
        get_config,
        get_name,
        get_name_env,
        get_secret_value,
        set_config_if_not_none,
    )


    def camelCaseify(s):
        return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), s)


    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.ConfigurableHTTPProxy.api_url = (
        f'http://{{get_name("proxy-api")}}:{{get_name_env("proxy-api", "_SERVICE_PORT")}}'
    )
    c.ConfigurableHTTPProxy.should_start = False
    c.JupyterHub.cleanup_servers = False
    c.JupyterHub.last_activity_interval = 60
    c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}

    db_type = get_config("hub.db.type")
    if db_type == "sqlite-pvc":
        c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
    elif db_type == "sqlite-memory":
        c.JupyterHub.db_url = "sqlite://"
    else:
        set_config_if_not_none(c.JupyterHub, "db_url", "hub.db.url")

    for trait, cfg_key in (
        ("concurrent_spawn_limit", None),
        ("active_server_limit", None),
        ("base_url", None),
        ("allow_named_servers", None),
        ("named_server_limit_per_user", None),
        ("authenticate_prometheus", None),
        ("redirect_to_server", None),
        ("shutdown_on_logout", None),
        ("template_paths", None),
        ("template_vars", None),
    ):
        if cfg_key is None:
            cfg_key = camelCaseify(trait)
        set_config_if_not_none(c.JupyterHub, trait, "hub." + cfg_key)

    hub_container_port = 8081
    c.JupyterHub.hub_bind_url = f"http://:{{hub_container_port}}"
    c.JupyterHub.hub_connect_url = (
        f'http://{{get_name("hub")}}:{{get_name_env("hub", "_SERVICE_PORT")}}'
    )
    c.KubeSpawner.namespace = os.environ.get("POD_NAMESPACE", "default")

    volumes = {{}}
    volume_mounts = {{}}
    storage_type = get_config("singleuser.storage.type")
    if storage_type == "dynamic":
        pvc_name_template = get_config("singleuser.storage.dynamic.pvcNameTemplate")
        if pvc_name_template:
            c.KubeSpawner.pvc_name_template = pvc_name_template
        volume_name_template = get_config("singleuser.storage.dynamic.volumeNameTemplate")
        c.KubeSpawner.storage_pvc_ensure = True
        set_config_if_not_none(
            c.KubeSpawner, "storage_class", "singleuser.storage.dynamic.storageClass"
        )
        set_config_if_not_none(
            c.KubeSpawner,
            "storage_access_modes",
            "singleuser.storage.dynamic.storageAccessModes",
        )
        set_config_if_not_none(c.KubeSpawner, "storage_capacity", "singleuser.storage.capacity")
        volumes = {{
            volume_name_template: {{
                "name": volume_name_template,
                "persistentVolumeClaim": {{"claimName": "{{pvc_name}}"}},
            }}
        }}
        volume_mounts = {{
            volume_name_template: {{
                "mountPath": get_config("singleuser.storage.homeMountPath"),
                "name": volume_name_template,
                "subPath": get_config("singleuser.storage.dynamic.subPath"),
            }}
        }}
    elif storage_type == "static":
        pvc_claim_name = get_config("singleuser.storage.static.pvcName")
        claim = {{"claimName": pvc_claim_name}}
        volumes = {{"home": {{"name": "home", "persistentVolumeClaim": claim}}}}
        volume_mounts = {{
            "home": {{
                "mountPath": get_config("singleuser.storage.homeMountPath"),
                "name": "home",
                "subPath": get_config("singleuser.storage.static.subPath"),
            }}
        }}
    extra_volumes = get_config("singleuser.storage.extraVolumes", default={{}})
    if isinstance(extra_volumes, dict):
        volumes.update(extra_volumes)
    elif isinstance(extra_volumes, list):
        for volume in extra_volumes:
            volumes[volume["name"]] = volume
    extra_volume_mounts = get_config("singleuser.storage.extraVolumeMounts", default={{}})
    if isinstance(extra_volume_mounts, dict):
        volume_mounts.update(extra_volume_mounts)
    elif isinstance(extra_volume_mounts, list):
        for idx, volume_mount in enumerate(extra_volume_mounts):
            volume_mounts[f"{{idx}}-{{volume_mount['name']}}"] = volume_mount
    c.KubeSpawner.volumes = volumes
    c.KubeSpawner.volume_mounts = volume_mounts

    c.JupyterHub.services = []
    c.JupyterHub.load_roles = []

    if get_config("cull.enabled", False):
        jupyterhub_idle_culler_role = {{
            "name": "jupyterhub-idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["jupyterhub-idle-culler"],
        }}
        cull_cmd = ["python3", "-m", "jupyterhub_idle_culler"]
        base_url = c.JupyterHub.get("base_url", "/")
        cull_cmd.append("--url=http://localhost:8081" + url_path_join(base_url, "hub/api"))
        cull_timeout = get_config("cull.timeout")
        if cull_timeout:
            cull_cmd.append(f"--timeout={{cull_timeout}}")
        cull_every = get_config("cull.every")
        if cull_every:
            cull_cmd.append(f"--cull-every={{cull_every}}")
        cull_concurrency = get_config("cull.concurrency")
        if cull_concurrency:
            cull_cmd.append(f"--concurrency={{cull_concurrency}}")
        if get_config("cull.users"):
            cull_cmd.append("--cull-users")
            jupyterhub_idle_culler_role["scopes"].append("admin:users")
        if not get_config("cull.adminUsers"):
            cull_cmd.append("--cull-admin-users=false")
        if get_config("cull.removeNamedServers"):
            cull_cmd.append("--remove-named-servers")
        cull_max_age = get_config("cull.maxAge")
        if cull_max_age:
            cull_cmd.append(f"--max-age={{cull_max_age}}")
        c.JupyterHub.services.append({{"name": "jupyterhub-idle-culler", "command": cull_cmd}})
        c.JupyterHub.load_roles.append(jupyterhub_idle_culler_role)

    for key, service in get_config("hub.services", {{}}).items():
        service.setdefault("name", key)
        service.pop("apiToken", None)
        service["api_token"] = get_secret_value(f"hub.services.{{key}}.apiToken")
        c.JupyterHub.services.append(service)

    for key, role in get_config("hub.loadRoles", {{}}).items():
        role.setdefault("name", key)
        c.JupyterHub.load_roles.append(role)

    if get_config("debug.enabled", False):
        c.JupyterHub.log_level = "DEBUG"
        c.Spawner.debug = True

    c.JupyterHub.cookie_secret = get_secret_value("hub.config.JupyterHub.cookie_secret")
    c.CryptKeeper.keys = get_secret_value("hub.config.CryptKeeper.keys").split(";")

    for section, cfg in get_config("hub.config", {{}}).items():
        if section == "JupyterHub":
            cfg.pop("proxy_auth_token", None)
            cfg.pop("cookie_secret", None)
            cfg.pop("services", None)
        elif section == "ConfigurableHTTPProxy":
            cfg.pop("auth_token", None)
        elif section == "CryptKeeper":
            cfg.pop("keys", None)
        if not section[:1].isupper():
            print(f"FATAL: Invalid hub.config section name: {{section}}.", file=sys.stderr)
            sys.exit(1)
        print(f"Loading pass-through config section hub.config.{{section}}")
        c[section].update(cfg)

    config_dir = {config_dir!r}
    if os.path.isdir(config_dir):
        for file_path in sorted(glob.glob(f"{{config_dir}}/*.py")):
            file_name = os.path.basename(file_path)
            print(f"Loading {{config_dir}} config: {{file_name}}")
            with open(file_path) as f:
                file_content = f.read()
            exec(compile(source=file_content, filename=file_name, mode="exec"))

    for key, config_py in sorted(get_config("hub.extraConfig", {{}}).items()):
        print(f"Loading extra config: {{key}}")
        exec(config_py)
    """
)

Z2JH_SECRETS = {
    "hub.config.JupyterHub.cookie_secret": "00" * 32,
    "hub.config.CryptKeeper.keys": "11" * 32,
}


def load_z2jh(
    tmp: Path,
    monkeypatch: Any,
    *,
    files: Iterable[Path] = (),
    values: Mapping[str, Any] | None = None,
) -> Config:
    """The chart's config for ``values`` (merged into the chart's defaults), with ``files``
    placed in ``jupyterhub_config.d`` and the values' ``hub.extraFiles`` written at their
    ``mountPath`` there (what the hub pod's Secret volume mounts)."""
    import copy

    merged = merge_values(CHART_DEFAULTS, copy.deepcopy(dict(values or {})))
    config_d = tmp / "usr-local-etc-jupyterhub" / "jupyterhub_config.d"
    config_d.mkdir(parents=True)
    for f in files:
        (config_d / f.name).write_text(f.read_text())
    for key, entry in (merged["hub"].get("extraFiles") or {}).items():
        mount = Path(entry["mountPath"])
        assert mount.parent == Path("/usr/local/etc/jupyterhub/jupyterhub_config.d"), key
        (config_d / mount.name).write_text(entry["stringData"])
    secrets = dict(Z2JH_SECRETS)
    for key in merged["hub"].get("services") or {}:
        secrets[f"hub.services.{key}.apiToken"] = f"token-of-{key}"
    monkeypatch.setitem(sys.modules, "z2jh", z2jh_module(merged, secrets))
    # what Kubernetes sets in the hub pod
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("HUB_SERVICE_PORT", "8081")
    monkeypatch.setenv("PROXY_API_SERVICE_PORT", "8001")
    monkeypatch.setenv("POD_NAMESPACE", "hubtypes")
    main = tmp / "jupyterhub_config.py"
    main.write_text(Z2JH_CONFIG.format(config_dir=str(config_d)))
    return _load(main)
