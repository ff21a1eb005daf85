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
from typing import Any

from hubtypes.tljh_settings import (  # noqa: F401 (part of this module's API)
    DEFAULT_ARCHIVE_ROOT,
    DEFAULT_SERVICE_PORT,
    DEFAULT_STORAGE_ROOT,
    HUB_TYPES,
    KNOWN_KEYS,
    SECTION,
    UNASSIGNED_TYPES,
    SettingError,
    TLJHSettings,
    config_file,
    default_db_url,
    install_prefix,
    load_tljh_config,
    parse_settings,
    replaced_snippet,
)

try:
    import pluggy

    hookimpl: Callable[..., Any] = pluggy.HookimplMarker("tljh")
except ImportError:  # not on TLJH (which depends on pluggy): the hooks are plain functions

    def hookimpl(function: Any = None, **_options: Any) -> Any:
        return function if function is not None else (lambda f: f)


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
    if settings.type != "binder" and not settings.culler and _cull_deletes_users(tljh_config):
        found.append(
            "hubtypes: services.cull.users is true, so TLJH's cull-idle service deletes "
            "users whose servers were idle, and the hub then archives and deletes their "
            f"{settings.type} homes; on a {settings.type} hub use "
            "`sudo tljh-config set services.cull.users false` and `sudo tljh-config reload`"
        )
    config_d = os.path.join(install_prefix(), "config", "jupyterhub_config.d")
    try:
        names = sorted(n for n in os.listdir(config_d) if n.endswith(".py"))
    except OSError:
        names = []
    for name in names:
        instead = replaced_snippet(name)
        if instead is not None:
            found.append(
                f"hubtypes: {os.path.join(config_d, name)} is loaded after this plugin and "
                f"overrides it; with the TLJH plugin remove that file: {instead}"
            )
    return found


def grants_args(c: Any) -> list[str]:
    """``c.WorkshopGrants`` (how the hub's authenticator names people, e.g. set with
    ``sudo tljh-config set auth.WorkshopGrants.identity_kind login``) as the workshop
    service's options: the service is a process of its own, reading only its command line
    and config file, as ``30-hubtypes-workshop-service.py`` forwards them."""
    args = []
    section = c.WorkshopGrants if "WorkshopGrants" in c else {}
    for trait, value in sorted(section.items()):
        if hasattr(value, "get_value"):  # a lazy .update() of the map
            value = value.get_value({})
        if isinstance(value, dict):  # one key=value per entry, as traitlets takes a Dict
            args += [f"--WorkshopGrants.{trait}={k}={v}" for k, v in value.items()]
        else:
            args.append(f"--WorkshopGrants.{trait}={value}")
    return args


def operators_grants_authenticator(current: Any) -> bool:
    """Whether ``current`` (``c.JupyterHub.authenticator_class``, e.g. TLJH's ``auth.type``)
    is an authenticator with workshop grants: a class with :class:`WorkshopAccessMixin`, or
    one of hubtypes' entry points whose class has it (``workshop-github``...)."""
    from importlib.metadata import entry_points

    from hubtypes.auth.access_mixin import WorkshopAccessMixin

    if isinstance(current, type):
        return issubclass(current, WorkshopAccessMixin)
    if not isinstance(current, str):
        return False
    for ep in entry_points(group="jupyterhub.authenticators"):
        if not ep.value.startswith("hubtypes."):
            continue
        if current.lower() not in (ep.name.lower(), ep.value.replace(":", ".").lower()):
            continue
        try:
            cls = ep.load()
        except ImportError:  # its extra is missing: the hub says which when it loads it
            return ep.module == "hubtypes.auth.oauth"
        return isinstance(cls, type) and issubclass(cls, WorkshopAccessMixin)
    return False


def workshop_service(settings: TLJHSettings, c: Any = None) -> dict[str, Any]:
    """The workshop service, run by TLJH's hub Python, as the drop-in
    ``30-hubtypes-workshop-service.py`` registers it, with ``c``'s ``WorkshopGrants``."""
    from hubtypes.services.workshop import hub_config

    command = [sys.executable, "-m", "hubtypes.services.workshop"]
    if c is not None:
        command += grants_args(c)

    return {
        "name": hub_config.SERVICE_NAME,
        "display": True,
        "url": f"http://127.0.0.1:{settings.service_port}",
        "command": command,
        # in the environment, not on the command line: the hub logs service commands,
        # and a PostgreSQL URL holds a password
        "environment": {"HUBTYPES_DB_URL": settings.db_url},
        "oauth_client_allowed_scopes": [hub_config.ADMIN_SCOPE, hub_config.INSTRUCT_SCOPE],
        "oauth_no_confirm": True,
    }


CULLER_PORT = 10102


# TLJH's services.cull keys (tljh/configurer.py, default["services"]["cull"]) and the
# jupyterhub-idle-culler options its cull-idle service passes them as (set_cull_idle_service),
# which hubtypes' culler accepts with the same meaning
CULL_OPTIONS = {
    "timeout": "--timeout",
    "every": "--cull-every",
    "concurrency": "--concurrency",
    "max_age": "--max-age",
    "users": "--cull-users",
    "remove_named_servers": "--remove-named-servers",
}


def cull_args(tljh_config: dict[str, Any]) -> list[str]:
    """The ``services.cull`` settings the operator set (config.yaml, TLJH's defaults not
    merged), as the culler's options: left unset, hubtypes' per-hub-type defaults apply
    (TLJH's flat 600 s for everyone would end them). ``enabled`` is TLJH's switch for
    cull-idle; ``hubtypes.culler`` is this one's."""
    cull = (tljh_config.get("services") or {}).get("cull") or {}
    args = []
    for key, option in CULL_OPTIONS.items():
        if key in cull and cull[key] is not None:
            value = cull[key]
            args.append(f"{option}={str(value).lower() if isinstance(value, bool) else value}")
    return args


def culler_service(settings: TLJHSettings, tljh_config: dict[str, Any]) -> dict[str, Any]:
    """hubtypes' culler, run by TLJH's hub Python, as the drop-in ``40-hubtypes-culler.py``
    registers it; it knows the hub type from the plugin's settings, and takes TLJH's
    ``services.cull`` settings as TLJH's cull-idle would (:func:`cull_args`)."""
    from hubtypes.services.culler import hub_config

    return {
        "name": hub_config.SERVICE_NAME,
        "display": True,
        "url": f"http://127.0.0.1:{CULLER_PORT}",
        "command": [
            sys.executable,
            "-m",
            "hubtypes.services.culler",
            f"--CullerService.default_hub_type={settings.type}",
            f"--CullerService.unassigned_hub_type={settings.unassigned_type}",
            *cull_args(tljh_config),
        ],
        "environment": {"HUBTYPES_DB_URL": settings.db_url},
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": list(hub_config.STATUS_SCOPES),
    }


def replace_tljh_culler(c: Any, settings: TLJHSettings, tljh_config: dict[str, Any]) -> None:
    """TLJH's ``cull-idle`` (jupyterhub-idle-culler, by ``services.cull.*``) out, hubtypes'
    culler in: two cullers would race, and TLJH's deletes workshop homes with ``users``."""
    from hubtypes.services.culler import hub_config

    services = c.JupyterHub.services if "services" in c.JupyterHub else []
    if isinstance(services, list):
        c.JupyterHub.services = [s for s in services if s.get("name") != "cull-idle"]
    c.JupyterHub.services.append(culler_service(settings, tljh_config))
    c.JupyterHub.load_roles.extend(hub_config.roles())
    c.JupyterHub.template_vars.update({"hubtypes_culler_service": hub_config.SERVICE_NAME})


def apply_settings(c: Any, settings: TLJHSettings, tljh_config: dict[str, Any]) -> type:
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
    service = workshop_service(settings, c) if settings.service else None

    c.JupyterHub.spawner_class = spawner_class
    c.HubTypeSpawnerMixin.default_hub_type = settings.type
    c.HubTypeSpawnerMixin.unassigned_hub_type = settings.unassigned_type
    c.HubTypeSpawnerMixin.storage_root = settings.storage_root
    c.HubTypeSpawnerMixin.archive_root = settings.archive_root
    c.HubTypesDatabase.url = settings.db_url
    if settings.type == "workshop":
        # instead of TLJH's auth.type, unless that is an OAuth login with workshop grants
        # (auth.type workshop-github...), which stays; the workshop authenticator's own
        # defaults end sessions soon after an account locks (auth_refresh_age 60 s, strict
        # where JupyterHub has it)
        current = (
            c.JupyterHub.authenticator_class if "authenticator_class" in c.JupyterHub else None
        )
        if not operators_grants_authenticator(current):
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
    if settings.culler:
        replace_tljh_culler(c, settings, tljh_config)
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
        spawner_class = apply_settings(c, settings, tljh_config)
    except ValueError as e:
        log.error("%s", e)
        return False
    for warning in _warnings(settings, tljh_config):
        log.warning("%s", warning)
    log.info(
        "hubtypes: %s hub on TLJH (spawner %s, storage %s, workshop service %s, culler %s)",
        settings.type,
        spawner_class.__name__,
        settings.storage_root,
        f"on port {settings.service_port}" if settings.service else "off",
        "hubtypes' (TLJH's cull-idle removed)" if settings.culler else "TLJH's cull-idle",
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
