"""`hubtypes demo`, run as the README says: log in with a printed code, get a real
jupyter-server, and Ctrl-C stops everything."""

import os
import re
import signal
import subprocess
import sys
import time

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


def test_demo_hub(tmp_path):
    if find_configurable_http_proxy() is None:
        pytest.skip("configurable-http-proxy is not installed")
    port = free_port()
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
        log = (state / "jupyterhub.log").read_text()
        assert all(c not in log for c in creds.values())
    finally:
        demo.send_signal(signal.SIGINT)  # what Ctrl-C does
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "Stopping the demo hub" in rest
    time.sleep(1)
    assert processes_using(str(state)) == []
