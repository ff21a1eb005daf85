"""The README's first command, read from README.md, so CI runs what users copy.

The README tells a new user to run one line (``pip install ".[demo]" && ... && hubtypes
demo``). CI must run that exact line, not a copy of it that drifts: ``.ci/run`` asks this
module for the install part (everything before the final ``&& hubtypes demo``) and runs it
in a fresh virtualenv, and ``test_readme_install.py`` starts the run part from that venv.

Run as a script: ``python tests/install/readme_command.py install`` prints the install part,
``... run`` the command that starts the demo.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
RUN = "hubtypes demo"


class ReadmeChanged(ValueError):
    """The README no longer has the command in the shape CI knows how to run."""


@dataclass(frozen=True)
class ReadmeCommand:
    line: str  # the whole line, as written
    install: str  # what to run in a shell before the demo
    run: list[str]  # argv of the command that starts the demo


def readme_command(text: str | None = None) -> ReadmeCommand:
    """The first ``console`` block's line that ends with ``&& hubtypes demo ...``."""
    if text is None:
        text = README.read_text()
    for block in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            install, sep, run = line.rpartition("&&")
            if sep and run.strip().startswith(RUN):
                return ReadmeCommand(line, install.strip(), shlex.split(run))
    raise ReadmeChanged(
        f"{README}: no ```console block has a line 'INSTALL && {RUN}'; update "
        "tests/install/readme_command.py to the README's new first command"
    )


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else ""
    if what not in ("install", "run", "line"):
        print("usage: readme_command.py install|run|line", file=sys.stderr)
        return 2
    cmd = readme_command()
    print({"install": cmd.install, "run": shlex.join(cmd.run), "line": cmd.line}[what])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
