"""``hubtypes demo``: a complete workshop hub on 127.0.0.1, for trying hubtypes out.

Everything lives in one state directory: both SQLite databases, the hub's
config and log, and the participants' homes. Each run issues fresh codes for
the demo accounts (codes are stored hashed, so old ones cannot be shown again).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from hubtypes._data import config_d_dir
from hubtypes.cli.chp import CHP_INSTALL_HINT, find_configurable_http_proxy
from hubtypes.cli.errors import CliError
from hubtypes.clock import human, utcnow
from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries.accounts import create_accounts, existing_usernames, reissue_codes
from hubtypes.db.queries.views import workshop_view
from hubtypes.db.queries.workshops import create_workshop, get_workshop
from hubtypes.inputs import WorkshopInput
from hubtypes.records import NewCredential, WorkshopView

DEMO_WORKSHOP = "demo"
ADMIN = "admin"

CONFIG = """\
# Written by `hubtypes demo`; rewritten on every run.
c = get_config()  # noqa
# the drop-in snippets an operator uses: login, then storage (on SimpleLocalProcessSpawner)
load_subconfig({workshop_snippet!r})
load_subconfig({spawner_snippet!r})
# a load_subconfig'd snippet cannot see what this file set before it, so the
# spawner family is chosen here: the mixin on SimpleLocalProcessSpawner
c.JupyterHub.spawner_class = "hubtypes-simple"
# the workshop service (accounts, lifecycle, resets), linked from the admin page;
# it finds hubtypes' database through $HUBTYPES_DB_URL, set by `hubtypes demo`
load_subconfig({service_snippet!r})
# hubtypes' culler: participants' idle servers stop after 30 minutes, admins' after an hour
load_subconfig({culler_snippet!r})

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = "jupyterhub-proxy.pid"
c.HubTypesDatabase.url = {db_url!r}

# Real jupyter-server single-user servers as this user; homes, materials and
# shared folders of the workshop under the state directory.
c.HubTypeSpawnerMixin.storage_root = {storage!r}
c.HubTypeSpawnerMixin.archive_root = {archive!r}
c.Spawner.default_url = "/lab"
c.Spawner.args = {args!r}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise CliError(f"the hub exited with status {process.returncode}; its log:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}hub/api/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise CliError(f"the hub did not answer within {timeout:.0f} s; see {log}")


def _demo_accounts(db_url: str, participants: int) -> tuple[WorkshopView, list[NewCredential]]:
    """The demo workshop and its accounts, created once; fresh codes on every run."""
    now = utcnow()
    with Database(db_url).session() as session:
        workshop = get_workshop(session, DEMO_WORKSHOP)
        if workshop is not None:
            view = workshop_view(workshop)
        else:
            dates = (now - timedelta(hours=1), now + timedelta(days=7), now + timedelta(days=14))
            data = WorkshopInput(DEMO_WORKSHOP, "hubtypes demo workshop", *dates)
            view = create_workshop(session, data, created_by="demo", now=now)
        wanted = [f"{DEMO_WORKSHOP}-{n:03d}" for n in range(1, participants + 1)]
        new = sorted(set(wanted) - existing_usernames(session, wanted))
        if new:
            create_accounts(
                session,
                usernames=new,
                workshop=DEMO_WORKSHOP,
                role=Role.participant,
                expires_at=None,
                created_by="demo",
                now=now,
            )
        if not existing_usernames(session, [ADMIN]):
            create_accounts(
                session,
                usernames=[ADMIN],
                workshop=None,
                role=Role.admin,
                expires_at=None,
                created_by="demo",
                now=now,
            )
        return view, reissue_codes(session, [ADMIN, *wanted], actor="demo", now=now)


def run_demo(args: argparse.Namespace) -> int:
    chp = find_configurable_http_proxy()
    if chp is None:
        raise CliError(f"configurable-http-proxy was not found. {CHP_INSTALL_HINT}")
    if not 1 <= args.participants <= 100:
        raise CliError("--participants: give 1 to 100")
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "warning: JupyterLab is not installed, so the single-user servers will have no "
            'user interface: pip install "hubtypes[demo]"',
            file=sys.stderr,
        )
    state = Path(args.state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{state / 'hubtypes.sqlite'}"
    workshop, credentials = _demo_accounts(db_url, args.participants)

    config = state / "jupyterhub_config.py"
    config.write_text(
        CONFIG.format(
            workshop_snippet=str(config_d_dir() / "10-hubtypes-workshop.py"),
            spawner_snippet=str(config_d_dir() / "20-hubtypes-spawner-workshop.py"),
            service_snippet=str(config_d_dir() / "30-hubtypes-workshop-service.py"),
            culler_snippet=str(config_d_dir() / "40-hubtypes-culler.py"),
            port=args.port,
            chp=chp,
            db_url=db_url,
            storage=str(state / "storage"),
            archive=str(state / "archive"),
            # jupyter-server refuses to run as root without it
            args=["--allow-root"] if os.geteuid() == 0 else [],
        )
    )
    log = state / "jupyterhub.log"
    url = f"http://127.0.0.1:{args.port}/"
    print(f"Starting the demo hub in {state} (log: {log}) ...", flush=True)
    with log.open("ab") as log_file:
        hub = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=state,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the hub in order
            env={
                **os.environ,
                "HUBTYPES_DB_URL": db_url,
                "HUBTYPES_WORKSHOP_SERVICE_URL": f"http://127.0.0.1:{_free_port()}",
                "HUBTYPES_CULLER_URL": f"http://127.0.0.1:{_free_port()}",
            },
        )
        try:
            _wait_ready(url, hub, log)
            _announce(url, workshop, credentials)
            hub.wait()
            print(f"the hub exited with status {hub.returncode}; see {log}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nStopping the demo hub ...", flush=True)
            return 0
        finally:
            _stop(hub)


def _announce(url: str, workshop: WorkshopView, credentials: list[NewCredential]) -> None:
    print(f"\nThe demo workshop hub is running: {url}hub/login")
    print(f"Workshops (instructors and admins): {url}services/workshop/")
    print(f"Culler status (admins): {url}services/culler/\n")
    print("Log in with one of these (codes are new on every run):")
    for c in credentials:
        print(f"  {c.role:<12} {c.username:<12} {c.code}")
    print(
        f"\nParticipants' access ends {human(workshop.ends_at)}; "
        f"their accounts are purged after {human(workshop.delete_after)}.",
    )
    print("Press Ctrl-C to stop.", flush=True)


def _stop(hub: subprocess.Popen) -> None:
    """SIGTERM lets the hub stop its proxy and servers; SIGKILL if it hangs."""
    if hub.poll() is not None:
        return
    hub.send_signal(signal.SIGTERM)
    try:
        hub.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(hub.pid, signal.SIGKILL)
        hub.wait()
