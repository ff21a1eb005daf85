"""Config names that moved, kept working for one release with a warning.

Kubernetes- and Docker-only traits used to be on ``HubTypeSpawnerMixin``; they now live on
the classes that use them. traitlets applies ``c.HubTypeSpawnerMixin.<trait>`` to every
class that has the mixin in its bases, so the old names still take effect: this only
tells the operator the new name. Remove in hubtypes 0.3.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_warned: set[str] = set()


def warn_moved_traits(spawner: Any, new_class: str, names: Iterable[str]) -> None:
    """Warn once per process for each moved trait set under its old section."""
    old = spawner.config.get("HubTypeSpawnerMixin", {})
    for name in names:
        if name in old and name not in _warned:
            _warned.add(name)
            spawner.log.warning(
                f"c.HubTypeSpawnerMixin.{name} is deprecated since hubtypes 0.2: "
                f"set c.{new_class}.{name} instead (the old name works until 0.3)"
            )
