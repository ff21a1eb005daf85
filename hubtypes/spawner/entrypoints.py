"""What the ``jupyterhub.spawners`` entry points point at.

The same classes as :mod:`hubtypes.spawner`, but a missing optional dependency
ends the hub's start with one actionable line (``SystemExit``) instead of a
traceback; importing from :mod:`hubtypes.spawner` raises an ImportError instead.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from hubtypes.spawner import MissingDependency
    from hubtypes.spawner import __getattr__ as load

    try:
        return load(name)
    except MissingDependency as e:
        raise SystemExit(f"hubtypes: {e}") from None
