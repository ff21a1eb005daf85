"""A real hub with WorkshopAuthenticator and the workshop service as a managed service."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import clirun
import requests
from realhub import NO_LAB_ARGS, RealHub, free_port

from hubtypes._data import config_d_dir

CONFIG = """
import os
os.environ["HUBTYPES_WORKSHOP_SERVICE_URL"] = "http://127.0.0.1:{service_port}"
os.environ["HUBTYPES_DB_URL"] = {db_url!r}
c.HubTypesDatabase.url = {db_url!r}
load_subconfig({workshop_d!r})
load_subconfig({service_d!r})
c.JupyterHub.services[-1]["command"] += {service_args!r}
c.JupyterHub.services[-1]["oauth_no_confirm"] = True
c.JupyterHub.load_roles[0]["scopes"].append("custom:workshops:admin")
c.JupyterHub.default_url = "/hub/home"
c.JupyterHub.allow_named_servers = True
c.JupyterHub.spawner_class = "simple"
c.Spawner.args = {spawner_args!r}
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.default_url = "/api"
c.WorkshopAuthenticator.auth_refresh_age = 1
"""


class ServiceHub:
    """The hub, the service's URL, and helpers to drive both like people would."""

    def __init__(self, hub: RealHub, db_url: str, workdir: Path) -> None:
        self.hub = hub
        self.db_url = db_url
        self.workdir = workdir
        self.codes: dict[str, str] = {}
        self.service = hub.url + "services/workshop/"

    @classmethod
    def config(cls, db_url: str, homes: Path, *, interval: float = 3600, lab: bool = False) -> str:
        """``lab``: single-user servers with JupyterLab (benchmarks: as deployed)."""
        d = config_d_dir()
        return CONFIG.format(
            service_port=free_port(),
            db_url=db_url,
            workshop_d=str(d / "10-hubtypes-workshop.py"),
            service_d=str(d / "30-hubtypes-workshop-service.py"),
            service_args=[f"--WorkshopService.lifecycle_interval={interval}"],
            homes=str(homes),
            spawner_args=["--allow-root", *([] if lab else NO_LAB_ARGS)],
        )

    # --- the hubtypes command (direct database route) ----------------------------------

    def cli(self, *args: str) -> str:
        return clirun.ok(*args, "--db-url", self.db_url)

    def workshop(self, slug: str, starts: str = "+0s", ends: str = "+2d", purge: str = "+9d"):
        self.cli("workshop", "create", slug, "--title", slug.upper(), "--starts", starts,
                 "--ends", ends, "--delete-after", purge)  # fmt: skip

    def accounts(self, *args: str) -> list[str]:
        # the database route asks the running hub which names it has (as the test admin)
        hub_api = ["--hub-api-url", self.hub.url + "hub/api", "--token", self.hub.admin_token]
        out = self.cli("accounts", "create", "--format", "csv", *hub_api, *args)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.codes.update({row["username"]: row["code"] for row in rows})
        return [row["username"] for row in rows]

    # --- people -------------------------------------------------------------------------

    def login(self, name: str) -> requests.Session:
        s = requests.Session()
        r = self.hub.login(s, name, self.codes[name])
        assert r.url.endswith("/hub/home"), (r.status_code, r.url)
        return s

    def token(self, name: str) -> str:
        r = self.hub.api("POST", f"/users/{name}/tokens", json={"note": "test"})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    def call(self, method: str, path: str, token: str | None = None, **kw: Any):
        headers = {"Authorization": f"token {token or self.hub.admin_token}"}
        kw.setdefault("timeout", 60)
        return requests.request(method, self.service + "api/" + path, headers=headers, **kw)

    def wait_service(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "workshops").status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the workshop service did not answer:\n{self.hub.log_tail()}")

    def service_pid(self) -> int | None:
        """The service process (found by its database URL, unique to this hub, which the
        snippet passes in the service's environment, never on its logged command line)."""
        wanted = f"HUBTYPES_DB_URL={self.db_url}".encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"hubtypes.services.workshop" in cmd and wanted in environ:
                return int(entry)
        return None

    def kill_service(self) -> None:
        pid = self.service_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

    def page(self, session: requests.Session, path: str, **kw: Any) -> requests.Response:
        return session.get(self.service + path, timeout=60, **kw)

    def post_form(self, session: requests.Session, path: str, data: dict[str, str]):
        """POST a form of the page at ``path`` with its _xsrf."""
        page = self.page(session, path)
        match = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert match, page.text[:3000]
        return session.post(self.service + path, data={**data, "_xsrf": match.group(1)},
                            timeout=60)  # fmt: skip


HUBTYPES_SPAWNER = """
c.JupyterHub.spawner_class = "hubtypes-simple"
c.HubTypeSpawnerMixin.storage_root = {store!r}
c.HubTypeSpawnerMixin.archive_root = {archive!r}
"""


def start(
    factory: Any,
    tmp_path: Path,
    *,
    interval: float = 3600,
    lab: bool = False,
    hubtypes_spawner: bool = False,
    extra_config: str = "",
) -> ServiceHub:
    """The hub with the service; ``hubtypes_spawner``: the spawner mixin on
    SimpleLocalProcessSpawner (storage under ``tmp_path/store``) instead of the bare one;
    ``extra_config``: lines added last (e.g. another spawner)."""
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    homes = tmp_path / "homes"
    homes.mkdir(exist_ok=True)
    # the database exists before the hub and the service open it
    clirun.db_upgrade(db_url)
    config = ServiceHub.config(db_url, homes, interval=interval, lab=lab)
    if hubtypes_spawner:
        store, archive = tmp_path / "store", tmp_path / "archive"
        config += HUBTYPES_SPAWNER.format(store=str(store), archive=str(archive))
    hub = factory(config + extra_config)
    sh = ServiceHub(hub, db_url, tmp_path)
    sh.wait_service()
    return sh


def wait_for(predicate: Any, timeout: float = 60, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")
