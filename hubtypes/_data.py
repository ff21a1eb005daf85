"""Where hubtypes' shared files are: in a source checkout or installed under sys.prefix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def share_dir() -> Path:
    """``share/hubtypes``: templates and static files."""
    return _first_existing(
        _SOURCE_ROOT / "share" / "hubtypes", Path(sys.prefix) / "share" / "hubtypes"
    )


def templates_dir() -> Path:
    return share_dir() / "templates"


def config_d_dir() -> Path:
    """The drop-in ``jupyterhub_config.d`` snippets."""
    return _first_existing(
        _SOURCE_ROOT / "jupyterhub_config.d",
        Path(sys.prefix) / "share" / "hubtypes" / "jupyterhub_config.d",
    )


def add_templates_to(c: Any) -> None:
    """Put hubtypes' templates first on ``c.JupyterHub.template_paths`` (drop-in snippets).

    ``template_paths`` is a list if an earlier snippet set it, else traitlets'
    lazy value; both are handled, and adding twice is harmless.
    """
    ours = str(templates_dir())
    paths = c.JupyterHub.template_paths
    if isinstance(paths, list):
        if ours not in paths:
            paths.insert(0, ours)
    else:
        paths.prepend([ours])
