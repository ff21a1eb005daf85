"""Deprecated import path (hubtypes 0.1): use :mod:`hubtypes.auth.workshop`. Removed in 0.3.

``c.JupyterHub.authenticator_class = "workshop"`` (the entry point) is the stable name.
"""

import warnings

from hubtypes.auth.workshop import WorkshopAuthenticator

warnings.warn(
    "hubtypes.authenticator is deprecated: use the entry point 'workshop' or "
    "hubtypes.auth.workshop.WorkshopAuthenticator",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["WorkshopAuthenticator"]
