"""The Littlest JupyterHub plugin: hubtypes set up from ``tljh-config``.

Registered in the entry-point group ``tljh`` (TLJH finds plugins with pluggy's
``load_setuptools_entrypoints("tljh")``). TLJH's ``jupyterhub_config.py`` sets its
spawner, applies its own ``config.yaml``, then calls ``tljh_custom_jupyterhub_config(c)``
with the hub's real config, and only then loads ``config/jupyterhub_config.d/*.py``. So the
hook sees TLJH's ``UserCreatingSpawner`` and can wrap it, which no drop-in snippet can.

The operator's settings are the ``hubtypes`` section of TLJH's ``config.yaml``::

    sudo tljh-config set hubtypes.type workshop
    sudo tljh-config reload

Every key is checked before anything is changed. A wrong one gets one error line in the
hub's log naming the key and the command that fixes it, and then *nothing* of hubtypes is
applied: the hub starts exactly as TLJH would without the plugin, never half-configured
and never with a traceback. Without a ``hubtypes`` section the plugin does nothing either.

This module imports only the standard library at import time (TLJH builds its plugin
manager, importing every plugin, each time it creates a user); pluggy is optional, so the
module imports on a hub without it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    import pluggy

    hookimpl: Callable[..., Any] = pluggy.HookimplMarker("tljh")
except ImportError:  # not on TLJH (which depends on pluggy): the hooks are plain functions

    def hookimpl(function: Any = None, **_options: Any) -> Any:
        return function if function is not None else (lambda f: f)


HUB_TYPES = ("community", "workshop", "binder")
UNASSIGNED_TYPES = ("community", "binder", "refuse")
DEFAULT_STORAGE_ROOT = "/srv/hubtypes"
DEFAULT_ARCHIVE_ROOT = "/srv/hubtypes-archive"
DEFAULT_SERVICE_PORT = 10101
SECTION = "hubtypes"


def install_prefix() -> str:
    """TLJH's install prefix, found the way TLJH finds it (``tljh/config.py``)."""
    return os.environ.get("TLJH_INSTALL_PREFIX", "/opt/tljh")


def config_file() -> str:
    """TLJH's ``config.yaml``, the file ``tljh-config`` writes."""
    return os.path.join(install_prefix(), "config", "config.yaml")


def default_db_url() -> str:
    """A SQLite file in TLJH's state directory, where the hub keeps its own database."""
    return "sqlite:///" + os.path.join(install_prefix(), "state", "hubtypes.sqlite")


@dataclass(frozen=True)
class TLJHSettings:
    """The ``hubtypes`` section of TLJH's config, checked."""

    type: str
    db_url: str
    storage_root: str = DEFAULT_STORAGE_ROOT
    archive_root: str = DEFAULT_ARCHIVE_ROOT
    unassigned_type: str = "community"
    service: bool = False
    service_port: int = DEFAULT_SERVICE_PORT


class SettingError(ValueError):
    """One bad key; ``str()`` is the whole log line."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        super().__init__(
            f"hubtypes: tljh-config key {key} {problem}; fix it with `{fix}` and then "
            "`sudo tljh-config reload`. Until then hubtypes is not applied and the hub "
            "runs as plain TLJH."
        )


def _set(key: str, example: Any) -> str:
    return f"sudo tljh-config set {key} {example}"


def _choice(
    section: dict[str, Any], key: str, choices: tuple[str, ...], default: str, example: str
) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or value.lower() not in choices:
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected one of {', '.join(choices)}",
            _set(f"{SECTION}.{key}", example),
        )
    return value.lower()


def _path(section: dict[str, Any], key: str, default: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not os.path.isabs(value):
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected an absolute path",
            _set(f"{SECTION}.{key}", default),
        )
    return os.path.normpath(value)


def _bool(section: dict[str, Any], key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected true or false",
            _set(f"{SECTION}.{key}", str(default).lower()),
        )
    return value


def _port(section: dict[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected a TCP port number (1-65535)",
            _set(f"{SECTION}.{key}", default),
        )
    return value


def _db_url(section: dict[str, Any]) -> str:
    value = section.get("db_url")
    if value is None:
        return default_db_url()
    example = "postgresql+psycopg2://USER:PASSWORD@HOST/hubtypes"
    # never the value itself in the log: a database URL may hold a password
    if not isinstance(value, str):
        problem = f"is a {type(value).__name__}, expected an SQLAlchemy URL"
        raise SettingError(f"{SECTION}.db_url", problem, _set(f"{SECTION}.db_url", example))
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except ArgumentError:
        problem = "is not an SQLAlchemy URL (value not shown: it may hold a password)"
        raise SettingError(
            f"{SECTION}.db_url", problem, _set(f"{SECTION}.db_url", example)
        ) from None
    return value


KNOWN_KEYS = (
    "type",
    "db_url",
    "storage_root",
    "archive_root",
    "unassigned_type",
    "service",
    "service_port",
)


def parse_settings(tljh_config: dict[str, Any]) -> TLJHSettings | None:
    """The checked ``hubtypes`` section of TLJH's config, or None if there is none.

    Raises :class:`SettingError` for the first bad key."""
    section = tljh_config.get(SECTION)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise SettingError(
            SECTION,
            f"is {section!r}, expected a section with keys such as {SECTION}.type",
            f"sudo tljh-config unset {SECTION} && {_set(SECTION + '.type', 'workshop')}",
        )
    for key in section:
        if key not in KNOWN_KEYS:
            raise SettingError(
                f"{SECTION}.{key}",
                f"is not a hubtypes setting (known: {', '.join(KNOWN_KEYS)})",
                f"sudo tljh-config unset {SECTION}.{key}",
            )
    if "type" not in section:
        raise SettingError(f"{SECTION}.type", "is missing", _set(f"{SECTION}.type", "workshop"))
    hub_type = _choice(section, "type", HUB_TYPES, "", example="workshop")
    return TLJHSettings(
        type=hub_type,
        db_url=_db_url(section),
        storage_root=_path(section, "storage_root", DEFAULT_STORAGE_ROOT),
        archive_root=_path(section, "archive_root", DEFAULT_ARCHIVE_ROOT),
        unassigned_type=_choice(
            section, "unassigned_type", UNASSIGNED_TYPES, "community", example="community"
        ),
        service=_bool(section, "service", hub_type == "workshop"),
        service_port=_port(section, "service_port", DEFAULT_SERVICE_PORT),
    )


def load_tljh_config(path: str | None = None) -> dict[str, Any]:
    """TLJH's ``config.yaml`` as a dict ({} if there is none), read from where TLJH reads
    it (``tljh/configurer.py``, ``load_config``). Only the user's own settings: TLJH's
    defaults for its own keys are not merged in (hubtypes reads its section, and
    ``services.cull`` with TLJH's defaults in mind)."""
    path = path or config_file()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    try:
        import yaml  # PyYAML: a dependency of jupyter-server, which hubtypes depends on

        loaded = yaml.safe_load(text)
    except ImportError:  # pragma: no cover - TLJH's own YAML library, always on TLJH
        from ruamel.yaml import YAML

        loaded = YAML(typ="safe").load(text)
    return loaded if isinstance(loaded, dict) else {}


def _log() -> logging.Logger | logging.LoggerAdapter[Any]:
    """The hub's logger (its log is not configured yet while config files load, but the
    JupyterHub application's logger already writes to stderr, i.e. TLJH's journal)."""
    from traitlets.log import get_logger

    return get_logger()


def _cull_deletes_users(tljh_config: dict[str, Any]) -> bool:
    cull = (tljh_config.get("services") or {}).get("cull") or {}
    enabled = cull.get("enabled", True)  # TLJH's defaults: enabled, users false
    return bool(enabled and cull.get("users", False))


def _warnings(settings: TLJHSettings, tljh_config: dict[str, Any]) -> list[str]:
    """What still works but probably is not what the operator wants."""
    found = []
    if settings.type != "binder" and _cull_deletes_users(tljh_config):
        found.append(
            "hubtypes: services.cull.users is true, so TLJH's cull-idle service deletes "
            "users whose servers were idle, and the hub then archives and deletes their "
            f"{settings.type} homes; on a {settings.type} hub use "
            "`sudo tljh-config set services.cull.users false` and `sudo tljh-config reload`"
        )
    config_d = os.path.join(install_prefix(), "config", "jupyterhub_config.d")
    try:
        snippets = sorted(n for n in os.listdir(config_d) if "hubtypes" in n and n.endswith(".py"))
    except OSError:
        snippets = []
    for name in snippets:
        found.append(
            f"hubtypes: {os.path.join(config_d, name)} is loaded after this plugin and "
            "overrides it (a spawner snippet replaces TLJH's spawner and spawns fail); with "
            "the TLJH plugin remove the hubtypes snippets from that folder"
        )
    return found


def workshop_service(settings: TLJHSettings) -> dict[str, Any]:
    """The workshop service, run by TLJH's hub Python, as the drop-in
    ``30-hubtypes-workshop-service.py`` registers it."""
    from hubtypes.services.workshop import hub_config

    return {
        "name": hub_config.SERVICE_NAME,
        "display": True,
        "url": f"http://127.0.0.1:{settings.service_port}",
        "command": [sys.executable, "-m", "hubtypes.services.workshop"],
        # in the environment, not on the command line: the hub logs service commands,
        # and a PostgreSQL URL holds a password
        "environment": {"HUBTYPES_DB_URL": settings.db_url},
        "oauth_client_allowed_scopes": [hub_config.ADMIN_SCOPE, hub_config.INSTRUCT_SCOPE],
        "oauth_no_confirm": True,
    }


def apply_settings(c: Any, settings: TLJHSettings) -> type:
    """Set hubtypes up on TLJH's config ``c``; returns the spawner class it set.

    Raises ValueError (before changing anything) if ``c``'s spawner is not TLJH's."""
    from hubtypes._data import add_templates_to
    from hubtypes.spawner.tljh import tljh_spawner_class

    current = c.JupyterHub.spawner_class if "spawner_class" in c.JupyterHub else None
    try:
        spawner_class = tljh_spawner_class(current)
    except (TypeError, ValueError):
        raise ValueError(
            f"hubtypes: c.JupyterHub.spawner_class is {current!r}, not TLJH's "
            "UserCreatingSpawner (did another plugin replace it?); the TLJH plugin only "
            "wraps that one, so hubtypes is not applied and the hub runs as plain TLJH"
        ) from None
    service = workshop_service(settings) if settings.service else None

    c.JupyterHub.spawner_class = spawner_class
    c.HubTypeSpawnerMixin.default_hub_type = settings.type
    c.HubTypeSpawnerMixin.unassigned_hub_type = settings.unassigned_type
    c.HubTypeSpawnerMixin.storage_root = settings.storage_root
    c.HubTypeSpawnerMixin.archive_root = settings.archive_root
    c.HubTypesDatabase.url = settings.db_url
    if settings.type == "workshop":
        # instead of TLJH's auth.type; the authenticator's own defaults end sessions soon
        # after an account locks (auth_refresh_age 60 s, strict where JupyterHub has it)
        c.JupyterHub.authenticator_class = "workshop"
        c.Authenticator.refresh_pre_spawn = True
    add_templates_to(c)
    if service is not None:
        from hubtypes.services.workshop import hub_config

        c.JupyterHub.services.append(service)
        c.JupyterHub.custom_scopes.update(hub_config.CUSTOM_SCOPES)
        c.JupyterHub.load_roles.extend(hub_config.roles())
        previous = c.Authenticator.post_auth_hook if "post_auth_hook" in c.Authenticator else None
        c.Authenticator.post_auth_hook = hub_config.post_auth_hook(previous)
        c.JupyterHub.template_vars.update({"hubtypes_workshop_service": hub_config.SERVICE_NAME})
    return spawner_class


def configure(c: Any, tljh_config: dict[str, Any], log: Any) -> bool:
    """Check the ``hubtypes`` section of ``tljh_config`` and apply it to ``c``.

    Returns whether hubtypes was applied; every problem is one log line."""
    try:
        settings = parse_settings(tljh_config)
    except SettingError as e:
        log.error("%s", e)
        return False
    if settings is None:
        log.info(
            "hubtypes: the TLJH plugin is installed but not switched on; to use it run "
            "`sudo tljh-config set hubtypes.type workshop` (or community, binder) and "
            "`sudo tljh-config reload`"
        )
        return False
    try:
        spawner_class = apply_settings(c, settings)
    except ValueError as e:
        log.error("%s", e)
        return False
    for warning in _warnings(settings, tljh_config):
        log.warning("%s", warning)
    log.info(
        "hubtypes: %s hub on TLJH (spawner %s, storage %s, workshop service %s)",
        settings.type,
        spawner_class.__name__,
        settings.storage_root,
        f"on port {settings.service_port}" if settings.service else "off",
    )
    return True


@hookimpl
def tljh_custom_jupyterhub_config(c: Any) -> None:
    """TLJH's hook: called with the hub's config after TLJH applied its own."""
    log = _log()
    try:
        tljh_config = load_tljh_config()
    except Exception as e:  # a broken config.yaml: TLJH itself reports it too
        log.error(
            "hubtypes: could not read %s (%s); fix the file, then `sudo tljh-config reload`. "
            "Until then hubtypes is not applied and the hub runs as plain TLJH.",
            config_file(),
            e,
        )
        return
    configure(c, tljh_config, log)


@hookimpl
def tljh_extra_hub_pip_packages() -> list[str]:
    """TLJH's installer hook: the PostgreSQL driver when ``hubtypes.db_url`` names one.

    Run once, at the end of ``installer --plugin``; after changing ``hubtypes.db_url``
    later, install it into the hub environment by hand (see the docs)."""
    try:
        settings = parse_settings(load_tljh_config())
    except Exception:  # reported, with its fix, when the hub loads its config
        return []
    if settings is not None and settings.db_url.startswith("postgresql"):
        return ["psycopg2-binary"]
    return []


__all__ = [
    "SettingError",
    "TLJHSettings",
    "apply_settings",
    "configure",
    "load_tljh_config",
    "parse_settings",
    "tljh_custom_jupyterhub_config",
    "tljh_extra_hub_pip_packages",
]
