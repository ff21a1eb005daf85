"""ruff (lint and format) and mypy are part of the suite; each failure names its files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.lint


def _check(args: list[str], file_pattern: str) -> None:
    """Run ``python -m <args>`` in the repo; on failure list the files it blamed."""
    result = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        files = sorted(set(re.findall(file_pattern, output, re.M)))
        pytest.fail(
            f"`{' '.join(args)}` failed for: {', '.join(files) or '(see output)'}\n\n{output}",
            pytrace=False,
        )


def test_ruff_check() -> None:
    _check(["ruff", "check", "--output-format", "concise", "hubtypes", "tests"], r"^(\S+?):\d+:")


def test_ruff_format() -> None:
    # Older ruff says "Would reformat: PATH", newer "--> PATH:LINE:COL".
    _check(
        ["ruff", "format", "--check", "hubtypes", "tests"], r"(?:^Would reformat: |--> )([^\s:]+)"
    )


def test_mypy() -> None:
    # Which packages mypy checks, and how, is configured in pyproject.toml.
    _check(["mypy"], r"^(\S+?):\d+: error")
