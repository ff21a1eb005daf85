"""A real ``jupyterhub`` process on loopback, behind npm's configurable-http-proxy.

Used through the ``real_hub_factory`` fixture (tests/conftest.py), which stops
every hub it made at teardown::

    def test_something(real_hub_factory):
        hub = real_hub_factory("c.JupyterHub.authenticator_class = 'dummy'")
        r = hub.api("GET", "/users")          # as the admin service
        r = hub.login(requests.Session(), "alice", "pw")

The config string is appended to a header that pins ports, paths and an admin
service. To add services or roles, extend the header's lists instead of
replacing them: ``c.JupyterHub.services.append({...})``.
"""

from __future__ import annotations

import html
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import requests

ADMIN_SERVICE = "test-admin"
ADMIN_SCOPES = [
    "admin:users",
    "admin:servers",
    "tokens",
    "admin:groups",
    "list:users",
    "read:users",
    "users",
    "servers",
]


# jupyter-server without the extensions installed here that a test of the hub does not need
# (JupyterLab, its LSP, nbgitpuller, the notebook shim): each server starts faster and
# takes less CPU. Only for hubs whose tests do not open the lab.
NO_LAB_ARGS = [
    f"--ServerApp.jpserver_extensions={name}=False"
    for name in ("jupyterlab", "jupyter_lsp", "nbgitpuller", "notebook_shim")
]


class HubStartError(RuntimeError):
    """The hub exited or did not answer in time; the message ends with its log."""


class HubFactory(Protocol):
    """The type of the ``real_hub_factory`` fixture."""

    def __call__(self, config: str = "", *, start: bool = True, debug: bool = True) -> RealHub: ...


# Ports for test servers come from below Linux's ephemeral range (32768-60999 by default,
# /proc/sys/net/ipv4/ip_local_port_range): a port there can be taken by any outgoing
# connection between the moment it is chosen and the moment the hub binds it, and with two
# pytest runs side by side in CI that happened ("Failed to bind hub", exit code 1).
# The range is cut into slices, one per pytest process: xdist's workers (gw0, gw1, ...) and
# the run beside them ($HUBTYPES_PORT_SLICE) never choose the same port.
PORT_SLICES = 8
_SLICE_SIZE = (32768 - 20000) // PORT_SLICES


def _port_range() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = (int(os.environ.get("HUBTYPES_PORT_SLICE", "0")) + int(worker or 0)) % PORT_SLICES
    start = 20000 + index * _SLICE_SIZE
    return range(start, start + _SLICE_SIZE)


_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1, outside the ephemeral range and in this process's slice,
    that nothing listens on now and that this process has not handed out before."""
    ports = _port_range()
    for _ in range(200):
        port = random.choice(ports)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def hub_lines(text: str) -> list[str]:
    """The log without configurable-http-proxy's lines (and the stack traces it prints with
    each refused connection), which otherwise fill the tail while the hub starts."""
    kept: list[str] = []
    in_proxy_entry = False
    for line in text.splitlines():
        if "[ConfigProxy]" in line:
            in_proxy_entry = True
        elif in_proxy_entry and (line.startswith((" ", "\t", "}")) or not line.strip()):
            pass
        else:
            in_proxy_entry = False
            kept.append(line)
    return kept


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (dead, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel instead
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    # The state follows the command name, which is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _is_chp(pid: int) -> bool:
    """Whether ``pid`` is still configurable-http-proxy (pids get reused)."""
    try:
        return b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class RealHub:
    """One jupyterhub process with its own directory, ports, database and log."""

    def __init__(self, directory: Path, config: str = "", *, chp: str, debug: bool = True):
        self.directory = directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config = config  # may be changed before a restart()
        self.chp = chp
        self.debug = debug
        # Ports are chosen once so the URL stays the same across restarts.
        self.port = free_port()
        self.hub_port = free_port()
        self.proxy_api_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.admin_token = secrets.token_hex(32)
        self.config_path = self.directory / "jupyterhub_config.py"
        self.log_path = self.directory / "hub.log"
        self.proxy_pid_path = self.directory / "jupyterhub-proxy.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._chp_pid: int | None = None
        self._starts = 0

    def header(self) -> str:
        """The config written before ``self.config``."""
        d = self.directory
        lines = [
            "c = get_config()  # noqa",
            "c.JupyterHub.ip = '127.0.0.1'",
            f"c.JupyterHub.port = {self.port}",
            "c.JupyterHub.hub_ip = '127.0.0.1'",
            f"c.JupyterHub.hub_port = {self.hub_port}",
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{self.proxy_api_port}'",
            f"c.ConfigurableHTTPProxy.command = [{self.chp!r}]",
            "c.ConfigurableHTTPProxy.should_start = True",
            f"c.ConfigurableHTTPProxy.pid_file = {str(self.proxy_pid_path)!r}",
            f"c.JupyterHub.db_url = {'sqlite:///' + str(d / 'jupyterhub.sqlite')!r}",
            f"c.JupyterHub.cookie_secret_file = {str(d / 'jupyterhub_cookie_secret')!r}",
            f"c.JupyterHub.pid_file = {str(d / 'jupyterhub.pid')!r}",
            f"c.JupyterHub.services = [{{'name': {ADMIN_SERVICE!r}, "
            f"'api_token': {self.admin_token!r}}}]",
            f"c.JupyterHub.load_roles = [{{'name': {ADMIN_SERVICE!r}, "
            f"'scopes': {ADMIN_SCOPES!r}, 'services': [{ADMIN_SERVICE!r}]}}]",
        ]
        if self.debug:
            lines.append("c.JupyterHub.log_level = 'DEBUG'")
        return "\n".join(lines) + "\n"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 60) -> None:
        """Start the hub and wait until ``GET hub/api/`` answers 200 through the proxy."""
        if self.running:
            raise RuntimeError("the hub is already running")
        self.config_path.write_text(self.header() + "\n# --- test config ---\n" + self.config)
        self._starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== realhub start #{self._starts} =====\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(self.config_path)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is pytest's, not the hub's
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                self._fail(f"jupyterhub exited with code {self._process.returncode}")
            try:
                if requests.get(self.url + "hub/api/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet
            if time.monotonic() > deadline:
                self._fail(f"jupyterhub did not answer within {timeout} s")
            time.sleep(0.1)
        # The hub writes the proxy's pid file before it answers through the proxy.
        try:
            self._chp_pid = int(self.proxy_pid_path.read_text().strip())
        except (OSError, ValueError):
            self._chp_pid = None

    def _fail(self, why: str) -> None:
        self.stop()
        raise HubStartError(f"{why}; end of {self.log_path}:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the hub (SIGKILL after 15 s), then make sure its proxy is gone too."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # A hub that was killed leaves configurable-http-proxy running (it is
        # started in its own session, so killpg above does not reach it).
        pid, self._chp_pid = self._chp_pid, None
        if pid is not None and _alive(pid) and _is_chp(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    def wait_ready(self, name: str, server: str = "", timeout: float = 90) -> None:
        """Wait until ``name``'s server (``""``: the default one) is ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{name}").json()["servers"].get(server)
            if model and model["ready"]:
                return
            time.sleep(0.2)
        raise AssertionError(f"{name}/{server} not ready:\n{self.log_tail()}")

    def server_process(self, name: str, *, hubtypes: bool = True) -> tuple[int, dict[str, str]]:
        """The pid and environment of ``name``'s server process of *this* hub (another hub
        on the machine may have a server for a user of the same name); a hubtypes spawner's
        only, unless ``hubtypes`` is False."""
        api = f"JUPYTERHUB_API_URL=http://127.0.0.1:{self.hub_port}/"
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                raw = Path(f"/proc/{entry}/environ").read_bytes().decode(errors="replace")
            except OSError:
                continue
            pairs = raw.split("\0")
            env = dict(v.split("=", 1) for v in pairs if "=" in v)
            if env.get("JUPYTERHUB_USER") == name and ("HUBTYPES_TYPE" in env or not hubtypes):
                if any(v.startswith(api) for v in pairs):
                    return int(entry), env
        raise AssertionError(f"no single-user server process for {name} of this hub")

    def kill_leftovers(self) -> list[int]:
        """SIGKILL processes the hub started and left behind (single-user servers,
        services): a hub killed after its 15 s leaves them running, and they would
        answer for the next test's user of the same name. Returns their pids."""
        marker = f"JUPYTERHUB_API_URL=http://127.0.0.1:{self.hub_port}/".encode()
        killed = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if any(v.startswith(marker) for v in environ.split(b"\0")):
                try:
                    os.kill(int(entry), signal.SIGKILL)
                    killed.append(int(entry))
                except ProcessLookupError:
                    pass
        return killed

    def restart(self, timeout: float = 60) -> None:
        self.stop()
        self.start(timeout)

    def log_text(self) -> str:
        """Everything the hub (and its proxy) logged, across restarts."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        """The end of the hub's own log lines (the proxy's are left out)."""
        return "\n".join(hub_lines(self.log_text())[-lines:])

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        """A request to ``{url}hub/api{path}``, by default as the admin service."""
        headers = {"Authorization": f"token {token or self.admin_token}"}
        headers.update(kw.pop("headers", {}))
        kw.setdefault("timeout", 30)
        return requests.request(method, f"{self.url}hub/api{path}", headers=headers, **kw)

    def login(
        self,
        session: requests.Session,
        username: str,
        password: str,
        *,
        allow_redirects: bool = True,
        **extra_fields: str,
    ) -> requests.Response:
        """Fill in the hub's login form like a browser; extra fields go in the form too.

        Returns the last response: after a successful login its URL is where
        the hub sent the user; after a refusal it is the login page again
        (200 or 403) with the message in ``<p class="login_error">``.
        """
        login_url = self.url + "hub/login"
        page = session.get(login_url, timeout=30)
        page.raise_for_status()
        # The form's hidden _xsrf must match the _xsrf cookie set by this GET.
        match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        if match is None:
            raise AssertionError(f"no _xsrf field on {login_url}:\n{page.text[:2000]}")
        form = {"username": username, "password": password, **extra_fields}
        form["_xsrf"] = match.group(1)
        return session.post(login_url, data=form, allow_redirects=allow_redirects, timeout=30)


def login_error(response: requests.Response) -> str | None:
    """The message the login page shows after a refused login, if any."""
    match = re.search(r'<p class="login_error">(.*?)</p>', response.text, re.S)
    return html.unescape(match.group(1).strip()) if match else None


def read_until(process: subprocess.Popen, marker: str, timeout: float = 120) -> str:
    """A process's stdout (text mode) up to the line holding ``marker``."""
    output = ""
    deadline = time.monotonic() + timeout
    while marker not in output:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} in the output:\n{output}")
            continue
        output += line
    return output


# A stand-in single-user server: a tiny HTTP server answering every GET with ``[]`` (an
# empty kernel list), for hubs whose tests need many cheap servers (the culler's).
FAKE_SERVER = """
import os
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse
url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")
    def log_message(self, *args):
        pass
HTTPServer((url.hostname, url.port), H).serve_forever()
"""
