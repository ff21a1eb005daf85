"""The documentation builds with warnings as errors (a broken reference fails the suite)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_docs_build(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + [str(ROOT / "docs"), str(tmp_path / "html")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout}{result.stderr}"
    assert (tmp_path / "html" / "reference.html").exists()
