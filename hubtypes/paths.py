"""Deprecated import path (hubtypes 0.1): use :mod:`hubtypes._data`. Removed in 0.3."""

import warnings

from hubtypes._data import add_templates_to, config_d_dir, share_dir, templates_dir

warnings.warn(
    "hubtypes.paths is deprecated: import from hubtypes._data", DeprecationWarning, stacklevel=2
)

__all__ = ["add_templates_to", "config_d_dir", "share_dir", "templates_dir"]
