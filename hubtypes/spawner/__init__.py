"""Hub-type-aware spawners.

The ready-made classes are loaded on first use (PEP 562), so importing this
package, or JupyterHub listing every entry point, never imports KubeSpawner or
DockerSpawner; a missing optional dependency is reported as one actionable line.
"""

from __future__ import annotations

import importlib
from typing import Any

from hubtypes.spawner.mixin import HubTypeSpawnerMixin

# class name -> (module, distribution that must be installed, extra to install)
_READY = {
    "HubTypesSimpleSpawner": ("local", "", ""),
    "HubTypesLocalSpawner": ("local", "", ""),
    "HubTypesKubeSpawner": ("kube", "kubespawner", "kube"),
    "HubTypesDockerSpawner": ("docker", "dockerspawner", "docker"),
}
_cache: dict[str, Any] = {}


# hubtypes is installed from its source (it is not on PyPI yet): say how to add an extra
INSTALL_HINT = "pip install 'hubtypes[{extra}] @ <hubtypes source or wheel>'"


class MissingDependency(ImportError):
    """A hubtypes spawner class was asked for without its optional dependency.

    An ImportError (an ``Exception``), so JupyterHub, which loads every entry point to
    list them and skips those that raise one, keeps starting with the spawners that work.
    """


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
            raise MissingDependency(
                f"{name} needs {dependency}, which is not installed; install hubtypes with "
                f"its {extra!r} extra: {INSTALL_HINT.format(extra=extra)}",
                name=dependency,
            ) from None
        raise
    _cache[name] = getattr(module, name)
    return _cache[name]


__all__ = ["HubTypeSpawnerMixin", "MissingDependency", *_READY]
