"""`hubtypes demo`, run as the README says: log in with a printed code, get a real
jupyter-server, and Ctrl-C stops everything; the binder demo's printed link (an anonymous
session that pulls a git repository with nbgitpuller) in Chromium, and SIGTERM; the
community demo, and its terminal closing (SIGHUP). Every run passes --port: the defaults
may be taken by another test run on the machine."""

import fcntl
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from realhub import free_port, read_until

from hubtypes.cli.chp import find_configurable_http_proxy

pytestmark = pytest.mark.hub


def form_login(session: requests.Session, url: str, username: str, code: str) -> None:
    page = session.get(url + "hub/login", timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    form = {"username": username, "password": code, "_xsrf": xsrf}
    session.post(url + "hub/login", data=form, timeout=30)


def processes_using(path: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
            if path in cmd or cwd.startswith(path):
                found.append(cmd)
    return found


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_demo_port() -> int:
    """A --port whose neighbours the demo also uses (+1, +2, +3, +81) are free too."""
    for _ in range(50):
        port = free_port()
        if port + 81 < 32768 and not any(listening(port + d) for d in (1, 2, 3, 81)):
            return port
    raise RuntimeError("no free set of demo ports")


def demo_command(port: int, state: Path, *more: str) -> subprocess.CompletedProcess:
    """A demo that is expected to refuse to start (so it returns at once)."""
    cmd = [sys.executable, "-m", "hubtypes.cli", "demo", "--port", str(port),
           "--state-dir", str(state), *more]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def start_demo(tmp_path: Path, hub_type: str, **popen: Any) -> tuple[subprocess.Popen, int, Path]:
    if find_configurable_http_proxy() is None:
        pytest.skip("configurable-http-proxy is not installed")
    port, state = free_demo_port(), tmp_path / f"state-{hub_type}"
    popen.setdefault("stdout", subprocess.PIPE)
    demo = subprocess.Popen(
        [sys.executable, "-m", "hubtypes.cli", "demo", "--type", hub_type, "--port", str(port),
         "--state-dir", str(state)],
        stderr=subprocess.STDOUT, text=True, cwd=tmp_path, **popen,
    )  # fmt: skip
    return demo, port, state


def test_demo_hub(tmp_path):
    if find_configurable_http_proxy() is None:
        pytest.skip("configurable-http-proxy is not installed")
    port = free_demo_port()
    state = tmp_path / "state"
    demo = subprocess.Popen(
        [sys.executable, "-m", "hubtypes.cli", "demo", "--port", str(port),
         "--state-dir", str(state)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        out = read_until(demo, "Press Ctrl-C to stop.")
        assert f"http://127.0.0.1:{port}/hub/login" in out
        creds = dict(re.findall(r"participant\s+(\S+)\s+(\S+)", out))
        admin = re.search(r"admin\s+(admin)\s+(\S+)", out)
        assert len(creds) == 3 and admin

        url = f"http://127.0.0.1:{port}/"
        name, code = next(iter(creds.items()))
        with requests.Session() as s:
            form_login(s, url, name, code)
            # the spawn-pending page waits for a real jupyter-server
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                # redirects through spawn-pending, then the server's OAuth, to JupyterLab
                r = s.get(url + f"user/{name}/lab", timeout=30)
                if r.status_code == 200 and r.url.startswith(url + f"user/{name}/lab"):
                    break
                time.sleep(1)
            else:
                raise AssertionError(f"no server for {name}: {r.status_code} {r.text[:300]}")
        assert (state / "storage" / "workshops" / "demo" / name).is_dir()

        # the admin reaches the workshop service, which lists the demo workshop
        assert f"{url}services/workshop/" in out
        with requests.Session() as s:
            form_login(s, url, "admin", admin.group(2))
            r = s.get(url + "services/workshop/", timeout=60)
            assert r.status_code == 200 and "hubtypes demo workshop" in r.text, r.url
            # and the culler's status page, linked from the admin page
            r = s.get(url + "services/culler/", timeout=60)
            assert r.status_code == 200 and 'id="hubtypes-culler"' in r.text, r.url
            admin_page = s.get(url + "hub/admin", timeout=60).text
            assert 'id="hubtypes-culler-link"' in admin_page
            assert 'id="hubtypes-workshops-panel"' in admin_page
        assert f"Culler status (admins): {url}services/culler/" in out
        assert f"export HUBTYPES_DB_URL=sqlite:///{state / 'hubtypes.sqlite'}" in out
        assert "This is a demo: every server runs as you" in out
        # --port moved every port: the hub's own API and the proxy's are beside it
        assert listening(port + 81) and listening(port + 1)
        config = (state / "jupyterhub_config.py").read_text()
        assert f"c.JupyterHub.hub_port = {port + 81}" in config
        # while it runs, a second demo refuses its state directory, and then its port
        again = demo_command(port + 10, state)
        assert again.returncode == 2 and "--state-dir:" in again.stderr, again.stderr
        assert f"in use by another `hubtypes demo` (pid {demo.pid})" in again.stderr
        again = demo_command(port, tmp_path / "other")
        assert again.returncode == 2, again.stderr
        assert f"--port: port {port} (the hub's public address) is in use" in again.stderr
        log = (state / "jupyterhub.log").read_text()
        assert all(c not in log for c in creds.values())
    finally:
        demo.send_signal(signal.SIGINT)  # what Ctrl-C does
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "Stopping the demo hub (SIGINT)" in rest
    time.sleep(1)
    assert processes_using(str(state)) == []


async def test_binder_demo_link_pulls_a_repository_into_an_anonymous_session(
    tmp_path, browser_page
):
    """The printed link in Chromium: tmpauthenticator's /hub/tmplogin makes a visitor, the
    hub's /hub/spawn starts their server, nbgitpuller's git-pull page (its status.html runs
    the pull through /git-pull/api, nbgitpuller/handlers.py) clones the demo's local
    repository over file:// and opens the file in JupyterLab."""
    demo, port, state = start_demo(tmp_path, "binder")
    try:
        out = read_until(demo, "Press Ctrl-C to stop.")
        url = f"http://127.0.0.1:{port}/"
        assert f"  {url}hub/tmplogin\n" in out
        (link,) = re.findall(r"(http://\S+/hub/tmplogin\?next=\S+)", out)
        assert f"repo={(state / 'materials').as_uri()}" in link  # readable, not re-encoded
        await browser_page.goto(link, timeout=60_000)
        await browser_page.wait_for_url(
            re.compile(r".*/user/[0-9a-f-]{36}/lab/tree/materials/README\.md"), timeout=120_000
        )
        visitor = browser_page.url.split("/user/", 1)[1].split("/", 1)[0]
        await browser_page.wait_for_selector(".jp-LabShell", timeout=60_000)
        (home,) = (state / "storage" / "binder").iterdir()
        pulled = home / "_default" / "materials" / "README.md"
        assert pulled.read_text().startswith("# Materials from a git repository")
        assert visitor in home.name or home.name in visitor
        assert "hubtypes usage" in out and "export HUBTYPES_DB_URL=" in out
    finally:
        demo.send_signal(signal.SIGTERM)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "Stopping the demo hub (SIGTERM)" in rest
    time.sleep(1)
    assert processes_using(str(state)) == []
    assert not pulled.exists()  # the visitor's server stopped with the hub: its home went


def read_pty(fd: int, marker: str, timeout: float = 120) -> str:
    output = ""
    deadline = time.monotonic() + timeout
    while marker not in output:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} in the output:\n{output}")
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                output += os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the demo exited: its side of the terminal is gone
                raise AssertionError(f"no {marker!r} in the output:\n{output}") from None
    return output


def test_community_demo_stops_when_its_terminal_closes(tmp_path):
    """The demo runs in a terminal of its own (a pty it has as controlling terminal);
    closing the terminal sends it SIGHUP, and the hub, proxy and server go with it."""
    master, slave = pty.openpty()

    def in_the_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    demo, port, state = start_demo(tmp_path, "community", stdin=slave, stdout=slave,
                                   preexec_fn=in_the_terminal)  # fmt: skip
    os.close(slave)
    try:
        out = read_pty(master, "Press Ctrl-C to stop.")
        url = f"http://127.0.0.1:{port}/"
        password = re.search(r"member\s+\(any name\)\s+(\S+)", out).group(1)
        assert re.search(r"admin\s+admin\s+\S{32}", out)
        with requests.Session() as s:
            form_login(s, url, "ada", password)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                r = s.get(url + "user/ada/lab", timeout=30)
                if r.status_code == 200 and r.url.startswith(url + "user/ada/lab"):
                    break
                time.sleep(1)
            else:
                raise AssertionError(f"no server for ada: {r.status_code} {r.text[:300]}")
        assert (state / "storage" / "community" / "ada").is_dir()
    finally:
        os.close(master)  # the terminal closes
    assert demo.wait(timeout=60) == 0
    time.sleep(1)
    assert processes_using(str(state)) == []
    assert not listening(port) and not listening(port + 81)
    # the home of a community member stays
    assert (state / "storage" / "community" / "ada").is_dir()
