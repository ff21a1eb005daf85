"""What the ``jupyterhub.spawners`` entry points point at: the classes of :mod:`hubtypes.spawner`.

JupyterHub loads every entry point of that group at start (to list them in
``--help-all``) and skips the ones that raise an ``Exception``. A class whose optional
dependency is missing therefore raises :class:`~hubtypes.spawner.MissingDependency`, an
``ImportError`` naming the extra to install, and only a hub configured to *use* that
class fails, with that message.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from hubtypes import spawner

    return getattr(spawner, name)
