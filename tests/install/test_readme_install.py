"""The README's first command, as a new user runs it: in a fresh virtualenv with nothing
but what that command installs, ``hubtypes demo`` starts a hub, a printed code logs in,
a real server starts, and Ctrl-C leaves nothing running.

``.ci/run`` builds the virtualenv by running the README's install part (read from README.md
by ``readme_command.py``, everything before ``&& hubtypes demo``) exactly as written, with
npm's global prefix pointed into the venv so the proxy found is the one that line installed;
it passes the venv as ``$HUBTYPES_README_VENV``. This test then runs the README's demo
command from that venv, as written (no ``--port``): the demo's default ports must be free.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from conftest import skip_or_fail
from readme_command import readme_command
from realhub import read_until

pytestmark = pytest.mark.hub

# `hubtypes demo`'s defaults: the public port (--port), the proxy's API (port + 1 is
# configurable-http-proxy's default) and the hub's own (JupyterHub's default 8081)
PORTS = (8000, 8001, 8081)
URL = "http://127.0.0.1:8000/"


def busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def processes_under(*paths: str) -> list[str]:
    """Command lines of processes that run from, or in, any of ``paths``."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except (OSError, UnicodeDecodeError):
            continue
        if any(p in cmd or cwd.startswith(p) for p in paths):
            found.append(cmd)
    return found


def test_readme_command_in_a_fresh_venv(tmp_path):
    venv = os.environ.get("HUBTYPES_README_VENV", "")
    if not venv:
        skip_or_fail("HUBTYPES_README_VENV is not set: `bash .ci/run` builds that venv")
    bindir = Path(venv) / "bin"
    command = readme_command()
    assert command.run == ["hubtypes", "demo"], command.line
    taken = [p for p in PORTS if busy(p)]
    if taken:
        skip_or_fail(f"ports {taken} are in use; `hubtypes demo` as written needs {PORTS}")
    # as in a shell where the venv is activated; PYTHONPATH would put a source tree first
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(VIRTUAL_ENV=venv, PATH=f"{bindir}:{env.get('PATH', '')}")
    demo = subprocess.Popen(
        [str(bindir / command.run[0]), *command.run[1:]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    state = tmp_path / "hubtypes-demo"
    try:
        out = read_until(demo, "Press Ctrl-C to stop.")
        assert f"{URL}hub/login" in out
        # the proxy is the one the README's npm line installed, and hubtypes the venv's
        config = (state / "jupyterhub_config.py").read_text()
        assert f"[{str(bindir / 'configurable-http-proxy')!r}]" in config
        # the snippets the wheel installed as shared data, not a source tree's
        assert f"load_subconfig('{venv}/share/hubtypes/jupyterhub_config.d/" in config
        creds = re.findall(r"^\s*participant\s+(\S+)\s+(\S+)$", out, re.M)
        assert creds, out
        name, code = creds[0]
        with requests.Session() as s:
            page = s.get(URL + "hub/login", timeout=30)
            xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
            assert xsrf, page.text[:2000]
            form = {"username": name, "password": code, "_xsrf": xsrf.group(1)}
            r = s.post(URL + "hub/login", data=form, allow_redirects=False, timeout=30)
            assert r.status_code == 302 and r.headers["Location"].startswith("/hub/"), (
                r.status_code,
                r.headers.get("Location"),
            )
            # as a browser does: follow on from /hub/, which spawns the user's server
            landing = s.get(URL + r.headers["Location"].lstrip("/"), timeout=60)
            spawning = (URL + f"hub/spawn-pending/{name}", URL + f"user/{name}/")
            assert landing.status_code == 200, (landing.status_code, landing.url)
            assert landing.url.startswith(spawning), landing.url
            home = s.get(URL + "hub/home", timeout=30)
            assert home.status_code == 200 and home.url == URL + "hub/home"
            # as that very user: the hub's API answers the session's cookie with its model
            me = s.get(URL + "hub/api/user", timeout=30)
            assert me.status_code == 200 and me.json()["name"] == name, me.text[:300]
            # a real jupyter-server runs (after spawn-pending, its OAuth, then JupyterLab)
            deadline = time.monotonic() + 90
            while True:
                r = s.get(URL + f"user/{name}/lab", timeout=30)
                if r.status_code == 200 and r.url.startswith(URL + f"user/{name}/lab"):
                    break
                assert time.monotonic() < deadline, (r.status_code, r.url, r.text[:300])
                time.sleep(1)
            assert "JupyterLab" in r.text
        log = (state / "jupyterhub.log").read_text()
        assert "Traceback" not in log, log[-3000:]
        assert code not in log
    finally:
        demo.send_signal(signal.SIGINT)  # what Ctrl-C does
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "Stopping the demo hub" in rest
    deadline = time.monotonic() + 10
    while processes_under(str(state), venv) or any(busy(p) for p in PORTS):
        assert time.monotonic() < deadline, (processes_under(str(state), venv), PORTS)
        time.sleep(0.2)
