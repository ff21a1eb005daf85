"""Helpers for the ``jupyterhub_config.d`` snippets: pick the hubtypes spawner class.

Imported by the snippets at config-load time; it imports nothing from JupyterHub,
KubeSpawner or DockerSpawner, so a snippet works before any of them is loaded.
"""

from __future__ import annotations

import os
import sys
from typing import Any

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
    return ours


def on_kubernetes() -> bool:
    return "KUBERNETES_SERVICE_HOST" in os.environ


__all__ = ["hubtypes_spawner_for", "on_kubernetes", "use_hubtypes_spawner"]
