"""The workshop service (a JupyterHub managed service); see :mod:`.app`.

Importing this package is cheap: the application is imported on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "WorkshopService":
        from hubtypes.services.workshop.app import WorkshopService

        return WorkshopService
    raise AttributeError(name)


__all__ = ["WorkshopService"]
