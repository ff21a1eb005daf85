"""Build the fresh virtualenvs in which ``.ci/run`` tests hubtypes as users install it.

The main suite runs in the developer's environment with every test extra installed, which
hides what a plain install lacks. So CI also builds, from nothing:

- ``readme DIR``: a venv where the README's first command's install part (read from
  README.md, everything before ``&& hubtypes demo``) is run exactly as written, in an
  activated venv; npm's global prefix points into the venv, so the proxy the demo finds is
  the one that very line installed. ``tests/install/`` then runs ``hubtypes demo`` from it.
- ``lowest DIR``: a venv with hubtypes, the lowest JupyterHub pyproject.toml allows, and
  only what the real-hub smoke tests import (their bounds taken from the ``test`` extra),
  plus the two logins The Littlest JupyterHub puts in its hub environment beside
  JupyterHub 5 (oauthenticator, jupyterhub-tmpauthenticator: TLJH's
  ``tljh/requirements-hub-env.txt``), so the TLJH plugin's tests run there as on a TLJH
  hub. No kubespawner or dockerspawner: a TLJH hub has neither.
- ``lowest-version``: print that JupyterHub version.

pip's own cache is used as usual (a second run downloads nothing); each install is real.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what tests/conftest.py, tests/realhub.py and the smoke tests import besides hubtypes
SMOKE_NEEDS = ("pytest", "pytest-asyncio", "requests", "pyyaml")  # pyyaml: the TLJH replica
# what a TLJH hub environment has besides JupyterHub (see the docstring)
TLJH_HUB_ENV = ("oauthenticator", "jupyterhub-tmpauthenticator")


def pyproject() -> str:
    return (ROOT / "pyproject.toml").read_text()


def lowest_jupyterhub() -> str:
    """X of pyproject's ``"jupyterhub>=X,<Y"`` (regex: tomllib is not in Python 3.10)."""
    match = re.search(r'^\s*"jupyterhub\s*>=\s*([0-9][^,"\s]*)', pyproject(), re.M)
    if match is None:
        sys.exit("pyproject.toml: no 'jupyterhub>=X' dependency to take the lowest version from")
    return match.group(1)


def declared_requirement(name: str) -> str:
    """The requirement string for ``name`` in pyproject (e.g. ``pytest>=8``)."""
    match = re.search(rf'"({re.escape(name)}\s*[<>=~!][^"]*)"', pyproject())
    return match.group(1) if match else name


def run(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Run ``cmd`` in the repository; its output goes to ``log``, shown if it fails."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        code = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL).returncode  # fmt: skip
    if code != 0:
        lines = log.read_text(errors="replace").splitlines()
        print("\n".join(lines[-60:]), file=sys.stderr)
        sys.exit(f"failed with status {code}: {' '.join(cmd)} (whole output: {log})")


def fresh_venv(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    return directory / "bin"


def activated(directory: Path) -> dict[str, str]:
    """The environment of a shell that ran ``source DIR/bin/activate``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["VIRTUAL_ENV"] = str(directory)
    env["PATH"] = f"{directory / 'bin'}:{env.get('PATH', '')}"
    return env


def readme(directory: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "install"))
    from readme_command import readme_command

    command = readme_command()
    bindir = fresh_venv(directory)
    env = activated(directory)
    env["npm_config_prefix"] = str(directory)  # `npm install -g` lands in the venv's bin
    print(f"$ {command.install}   (README.md, in {directory})", flush=True)
    run(["bash", "-euo", "pipefail", "-c", command.install], directory.with_suffix(".log"), env)
    for name in (command.run[0], "configurable-http-proxy"):
        if not (bindir / name).exists():
            sys.exit(f"after the README's install command, {bindir / name} does not exist")


def lowest(directory: Path) -> None:
    version = lowest_jupyterhub()
    bindir = fresh_venv(directory)
    reqs = [".", f"jupyterhub=={version}",
            *(declared_requirement(n) for n in (*SMOKE_NEEDS, *TLJH_HUB_ENV))]  # fmt: skip
    print(f"$ pip install {' '.join(reqs)}   (in {directory})", flush=True)
    pip = [str(bindir / "python"), "-m", "pip", "install", "--progress-bar", "off"]
    run([*pip, *reqs], directory.with_suffix(".log"), activated(directory))


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] == "lowest-version":
        print(lowest_jupyterhub())
        return 0
    if len(argv) != 3 or argv[1] not in ("readme", "lowest"):
        print(__doc__, file=sys.stderr)
        print("usage: .ci/venvs.py readme|lowest DIR | lowest-version", file=sys.stderr)
        return 2
    started = time.monotonic()
    directory = Path(argv[2]).resolve()
    if argv[1] == "readme":
        readme(directory)
    else:
        lowest(directory)
    print(f"{argv[1]} venv ready in {time.monotonic() - started:.1f} s: {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
