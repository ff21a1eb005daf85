"""Finding npm's configurable-http-proxy, the proxy a local hub runs behind.

The Python package of the same name on PyPI buffers responses (spawn progress
arrives all at once) and breaks on some base URLs, so hubtypes uses the npm one.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

CHP_NAME = "configurable-http-proxy"

CHP_INSTALL_HINT = (
    "configurable-http-proxy (npm) was not found: install it with "
    "`npm install -g configurable-http-proxy` (needs Node.js >= 20); without root, into "
    'this Python environment: `npm install -g --prefix "$VIRTUAL_ENV" '
    "configurable-http-proxy`, or `npm install configurable-http-proxy` in the current "
    "directory."
)


def find_configurable_http_proxy(start: Path | None = None) -> str | None:
    """The path of npm's configurable-http-proxy, or None if it is not installed.

    Looks on PATH first, then beside this Python (``npm install -g --prefix "$VIRTUAL_ENV"``
    puts it in the virtualenv's ``bin``, found even when the venv is not activated), then
    for ``node_modules/.bin/configurable-http-proxy`` in ``start`` (default: the current
    directory) and each of its parents, where a local ``npm install configurable-http-proxy``
    puts it.
    """
    found = shutil.which(CHP_NAME)
    if found:
        return found
    beside = Path(sys.executable).parent / CHP_NAME
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "node_modules" / ".bin" / CHP_NAME
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None
