"""The culler service (a JupyterHub managed service); see :mod:`.app`.

Importing this package is cheap: the application is imported on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "CullerService":
        from hubtypes.services.culler.app import CullerService

        return CullerService
    raise AttributeError(name)


__all__ = ["CullerService"]
