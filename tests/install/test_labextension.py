"""hubtypes' JupyterLab extension (share/jupyter/labextensions/hubtypes-lab) as JupyterLab
finds it: installed with the package (hatch's shared-data, pyproject.toml), listed enabled
and OK by `jupyter labextension list`, and replacing the hub extension's connection-lost
plugin (jupyterlab_server's get_page_config reads an extension's ``disabledExtensions``).
What it does in the browser: tests/test_browser_participant.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "share" / "jupyter" / "labextensions" / "hubtypes-lab"
STOCK = "@jupyterlab/hub-extension:connectionlost"

pytest.importorskip("jupyterlab")


def test_the_extension_is_installed_enabled_and_replaces_the_stock_plugin():
    installed = Path(sys.prefix, "share", "jupyter", "labextensions", "hubtypes-lab")
    for name in ("package.json", "install.json", "static/remoteEntry.js"):
        assert (installed / name).read_bytes() == (SOURCE / name).read_bytes(), (
            f"{installed / name} differs from the source: pip install -e . again"
        )
    listing = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    out = listing.stdout + listing.stderr
    line = next(x for x in out.splitlines() if "hubtypes-lab" in x)
    assert "enabled" in line and "OK" in line and "(python, hubtypes)" in line, out
    assert STOCK in out.split("Disabled extensions:", 1)[1], out

    from jupyterlab_server.config import get_page_config

    page = get_page_config([str(installed.parent)])
    [entry] = [e for e in page["federated_extensions"] if e["name"] == "hubtypes-lab"]
    assert entry["load"] == "static/remoteEntry.js" and entry["extension"] == "./extension"
    assert STOCK in page["disabledExtensions"]


def test_the_version_follows_the_package():
    from hubtypes._version import __version__

    meta = json.loads((SOURCE / "package.json").read_text())
    assert __version__.startswith(meta["version"]), (meta["version"], __version__)
