"""Where hubtypes' shared files are: in a source checkout or installed under sys.prefix."""

from __future__ import annotations

import sys
from pathlib import Path

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
