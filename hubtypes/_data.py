"""Where hubtypes' shared files are (templates, drop-in snippets): in a source checkout or
installed under ``sys.prefix``. Named like JupyterHub's own ``jupyterhub._data``."""

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


def insert_templates(paths: list[str], stock: str | None = None) -> None:
    """Put hubtypes' templates after the operator's own and before the hub's ``stock`` ones.

    An operator's ``login.html`` or ``page.html`` keeps winning; ours win over the hub's.
    JupyterHub appends its stock folder to ``template_paths`` when it is missing, so at
    config time (``stock`` unknown) appending is that same order. Adding twice is harmless.
    """
    ours = str(templates_dir())
    if ours in paths:
        return
    paths.insert(paths.index(stock) if stock in paths else len(paths), ours)


def add_templates_to(c: Any) -> None:
    """:func:`insert_templates` on ``c.JupyterHub.template_paths`` (drop-in snippets).

    ``template_paths`` is a list if an earlier snippet set it, else traitlets' lazy value,
    which would put its additions after the hub's default (stock) folder: there ours go first.
    """
    paths = c.JupyterHub.template_paths
    if isinstance(paths, list):
        insert_templates(paths)
    else:
        paths.prepend([str(templates_dir())])
