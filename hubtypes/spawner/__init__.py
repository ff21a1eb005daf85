"""Hub-type-aware spawners.

The ready-made classes are loaded on first use (PEP 562), so importing this
package, or JupyterHub listing every entry point, never imports KubeSpawner or
DockerSpawner; a missing optional dependency is reported as one actionable line.
"""

from __future__ import annotations

import importlib
from typing import Any

from hubtypes._extras import INSTALL_HINT, MissingDependency, missing_dependency
from hubtypes.spawner.mixin import HubTypeSpawnerMixin

# class name -> (module, distribution that must be installed, extra to install)
_READY = {
    "HubTypesSimpleSpawner": ("local", "", ""),
    "HubTypesLocalSpawner": ("local", "", ""),
    "HubTypesKubeSpawner": ("kube", "kubespawner", "kube"),
    "HubTypesDockerSpawner": ("docker", "dockerspawner", "docker"),
}
_cache: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name not in _READY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _cache:
        return _cache[name]
    module_name, dependency, extra = _READY[name]
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as e:
        if dependency and e.name and e.name.split(".")[0] == dependency:
            raise missing_dependency(name, dependency, extra) from None
        raise
    _cache[name] = getattr(module, name)
    return _cache[name]


__all__ = [
    "INSTALL_HINT",
    "HubTypeSpawnerMixin",
    "MissingDependency",
    "missing_dependency",
    *_READY,
]
