"""hubtypes: JupyterHub extensions for community, workshop and binder hubs.

Kept import-free on purpose: JupyterHub imports every registered entry point
(for ``--help-all``), so importing ``hubtypes`` must stay cheap.
"""

from hubtypes._version import __version__

__all__ = ["__version__"]
