"""Helpers for the ``jupyterhub_config.d`` snippets: pick the hubtypes spawner class, check
its settings when the hub starts, and notice a snippet loaded twice.

Imported by the snippets at config-load time; it imports nothing from JupyterHub,
KubeSpawner or DockerSpawner, so a snippet works before any of them is loaded.

A snippet loaded with ``load_subconfig`` (a plain ``jupyterhub_config.py``, TLJH) gets a
fresh config and cannot see what other files set, so "loaded twice" and "loaded without
the login snippet" are noticed here, in the process: a hub loads its config once per
process (``JupyterHub.initialize``; ``upgrade-db`` and ``token`` load it once in their own).
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any

from hubtypes.storage.hub_types import config_problems

# the hub's current spawner (entry point name or import path, lowercased) -> ours
_FAMILIES = [
    ("hubtypes-", None),  # already ours: keep
    ("kubespawner", "hubtypes-kube"),
    ("kubernetes", "hubtypes-kube"),
    ("dockerspawner", "hubtypes-docker"),
    ("docker", "hubtypes-docker"),
    ("simplelocalprocessspawner", "hubtypes-simple"),
    ("simple", "hubtypes-simple"),
    ("localprocessspawner", "hubtypes-local"),
    ("localprocess", "hubtypes-local"),
    ("default", "hubtypes-local"),
]


def _name(value: Any) -> str:
    if isinstance(value, type):
        return f"{value.__module__}.{value.__name__}"
    return str(value)


def hubtypes_spawner_for(current: Any, *, on_kubernetes: bool) -> str | None:
    """Our class for the hub's current spawner; None if there is no hubtypes version."""
    if current in (None, ""):
        return "hubtypes-kube" if on_kubernetes else "hubtypes-local"
    name = _name(current).lower()
    for needle, ours in _FAMILIES:
        if needle in name:
            return ours or _name(current)
    return None


def use_hubtypes_spawner(c: Any) -> str | None:
    """Switch ``c.JupyterHub.spawner_class`` to the hubtypes class of the same family.

    Zero-to-JupyterHub has set KubeSpawner by the time the snippets run; a plain
    hub has set nothing (JupyterHub's default is LocalProcessSpawner). A spawner
    with no hubtypes version (e.g. TLJH's systemd spawner) is left alone, with a
    warning on stderr, so the hub still starts.
    """
    current = c.JupyterHub.spawner_class if "spawner_class" in c.JupyterHub else None
    ours = hubtypes_spawner_for(current, on_kubernetes="KUBERNETES_SERVICE_HOST" in os.environ)
    if ours is None:
        print(
            f"hubtypes: no hub-type-aware version of {_name(current)}; spawner left as is "
            "(supported: LocalProcessSpawner, SimpleLocalProcessSpawner, KubeSpawner, "
            "DockerSpawner)",
            file=sys.stderr,
        )
        return None
    c.JupyterHub.spawner_class = ours
    check_spawner_config_at_start()
    return ours


# the applications whose loaded config is checked (one check each)
_checking: weakref.WeakSet[Any] = weakref.WeakSet()


def check_spawner_config_at_start(app: Any = None) -> None:
    """Check ``c.HubTypeSpawnerMixin`` once the hub has loaded its whole config.

    A snippet runs while the hub loads its config and sees at most what came before it
    (under ``load_subconfig``, not even that), so the check waits for the hub: ``app``, by
    default the running traitlets Application (JupyterHub), merges every file's config
    into its own at the end of ``load_config_file``, and then, still in ``initialize``,
    connects to its database (``init_db`` sets its ``session_factory`` trait, in JupyterHub
    4 to 6), before it starts the proxy or makes the authenticator. The check runs then:
    each problem is one critical line naming ``c.HubTypeSpawnerMixin.<trait>`` and what it
    accepts, and the hub stops with exit status 1, as the hubtypes authenticators do,
    instead of at a participant's first spawn. Without a hub application (a snippet
    exec'd by a test, ``jupyterhub upgrade-db``) this does nothing.
    """
    from traitlets.config import Application

    if app is None:
        if not Application.initialized():
            return
        app = Application.instance()
    if not app.has_trait("session_factory") or app in _checking:
        return
    _checking.add(app)

    def check(_change: Any) -> None:
        app.unobserve(check, "session_factory")
        _checking.discard(app)
        problems = config_problems(app.config.get("HubTypeSpawnerMixin", {}))
        for problem in problems:
            app.log.critical(f"hubtypes: {problem}")
        if problems:
            sys.exit(1)

    app.observe(check, "session_factory")


def on_kubernetes() -> bool:
    return "KUBERNETES_SERVICE_HOST" in os.environ


def on_tljh() -> bool:
    """Whether The Littlest JupyterHub's config is loading us: its ``jupyterhub_config.py``
    imports ``tljh.user_creating_spawner`` before it loads ``jupyterhub_config.d``."""
    return "tljh.user_creating_spawner" in sys.modules


# what a snippet configures ("login", "spawner", "workshop-service") -> (file, detail)
_configured: dict[str, tuple[str, str]] = {}


def claim(part: str, origin: str, detail: str = "") -> tuple[str, str] | None:
    """Record that the snippet file ``origin`` configures ``part`` of the hub.

    Returns None the first time; else the ``(file, detail)`` that already did, and the
    snippet should then change nothing and say so (see :func:`complain`).
    """
    if part in _configured:
        return _configured[part]
    _configured[part] = (origin, detail)
    return None


def claimed(part: str) -> tuple[str, str] | None:
    """The ``(file, detail)`` that configured ``part`` in this process, if any."""
    return _configured.get(part)


def forget_claims() -> None:
    """Start over, as a new hub process would (tests that load snippets in-process)."""
    _configured.clear()


def complain(origin: str, message: str) -> None:
    """One line on stderr naming the snippet file: the hub's logger is not set up while
    its config loads (the Zero-to-JupyterHub chart prints its config messages too)."""
    print(f"hubtypes: {os.path.basename(origin)}: {message}", file=sys.stderr, flush=True)


def storage_snippet_may_run(origin: str, hub_type: str) -> bool:
    """Whether a ``20-hubtypes-spawner-*.py`` snippet should configure the hub (else it
    has said why on stderr): not under TLJH, and only the first of them in a process."""
    if on_tljh():
        complain(
            origin,
            "The Littlest JupyterHub loads this file into a fresh config that cannot see "
            "its spawner (UserCreatingSpawner), so it would replace it; nothing changed. "
            f"Use the hubtypes TLJH plugin (tljh-config set hubtypes.type {hub_type}) and "
            "remove this file.",
        )
        return False
    first = claim("spawner", origin, hub_type)
    if first is None:
        return True
    if first[1] == hub_type:
        complain(origin, f"loaded again (first by {first[0]}); nothing changed. Load it once.")
    else:
        complain(
            origin,
            f"{os.path.basename(first[0])} already made this a {first[1]} hub, so this "
            f"{hub_type} snippet changed nothing. Keep one 20-hubtypes-spawner-*.py file.",
        )
    return False


def loopback_hub_api(c: Any) -> list[str]:
    """The option that points a managed service at the hub's API over loopback when the hub
    listens on all interfaces (Zero-to-JupyterHub: ``http://:8081``), as the chart's own
    culler does, instead of through the hub's Service and its network policy; else none."""
    from urllib.parse import urlparse

    bind = urlparse(str(c.JupyterHub.hub_bind_url)) if "hub_bind_url" in c.JupyterHub else None
    if bind is None or bind.hostname not in (None, "0.0.0.0", "::") or not bind.port:
        return []
    base = str(c.JupyterHub.base_url) if "base_url" in c.JupyterHub else "/"
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    return [f"--HubServiceApp.hub_api_url=http://127.0.0.1:{bind.port}{base}hub/api"]


def database_environment(c: Any) -> dict[str, str]:
    """A managed service's ``environment`` naming hubtypes' database, or ``{}``.

    The URL comes from ``$HUBTYPES_DB_URL`` if set, else ``c.HubTypesDatabase.url`` if this
    file can see it (a load_subconfig'd one cannot see other files'); else the service uses
    the default file in the hub's working directory, where it runs too. A relative SQLite
    path is made absolute. It goes in the environment, never on the command line, which
    the hub logs and its API shows: a PostgreSQL URL holds a password.
    """
    db_url = os.environ.get("HUBTYPES_DB_URL") or (
        c.HubTypesDatabase.url if "url" in c.HubTypesDatabase else ""
    )
    if not db_url:
        return {}
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        db_url = "sqlite:///" + os.path.abspath(db_url[len("sqlite:///") :])
    return {"HUBTYPES_DB_URL": db_url}


__all__ = [
    "check_spawner_config_at_start",
    "claim",
    "database_environment",
    "loopback_hub_api",
    "claimed",
    "complain",
    "forget_claims",
    "hubtypes_spawner_for",
    "on_kubernetes",
    "on_tljh",
    "storage_snippet_may_run",
    "use_hubtypes_spawner",
]
