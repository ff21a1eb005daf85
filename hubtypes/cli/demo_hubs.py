"""What ``hubtypes demo --type …`` runs: each hub type's config, its accounts, what to print.

Every type loads the drop-in snippets an operator uses (``jupyterhub_config.d/``) with
``load_subconfig``, then pins what a demo on 127.0.0.1 needs: its ports, its state
directory and real ``jupyter-server`` single-user servers as the user who runs it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from hubtypes._data import config_d_dir
from hubtypes.cli.errors import CliError
from hubtypes.clock import human, utcnow
from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries.accounts import create_accounts, existing_usernames, reissue_codes
from hubtypes.db.queries.views import workshop_view
from hubtypes.db.queries.workshops import create_workshop, get_workshop
from hubtypes.errors import InputError
from hubtypes.inputs import WorkshopInput

TYPES = ("community", "workshop", "binder")
DEMO_WORKSHOP = "demo"
ADMIN = "admin"
# how far each port is from --port: JupyterHub's own defaults when --port is 8000
PORT_OFFSETS = {
    "the hub's public address": 0,
    "the proxy's API": 1,
    "the workshop service": 2,
    "the culler service": 3,
    "the hub's own API": 81,
}


@dataclass(frozen=True)
class Ports:
    public: int
    proxy_api: int
    workshop_service: int
    culler: int
    hub: int

    @classmethod
    def from_base(cls, port: int) -> Ports:
        """Every port the demo listens on, from ``--port``; InputError if one is out of range."""
        if not 1024 <= port <= 65535 - max(PORT_OFFSETS.values()):
            raise InputError(
                "port",
                f"give 1024 to {65535 - max(PORT_OFFSETS.values())}, not {port} (the demo "
                f"also uses --port + {', + '.join(str(o) for o in PORT_OFFSETS.values() if o)})",
            )
        return cls(*(port + offset for offset in PORT_OFFSETS.values()))

    def named(self) -> list[tuple[int, str]]:
        return list(zip((self.public, self.proxy_api, self.workshop_service, self.culler,
                         self.hub), PORT_OFFSETS, strict=True))  # fmt: skip


@dataclass
class DemoHub:
    """One hub type's demo: the config file, the hub's environment, what to print."""

    config: str
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)


COMMON = """\
# Written by `hubtypes demo --type {hub_type}`; rewritten on every run.
c = get_config()  # noqa
# the drop-in snippets an operator uses (each gets a fresh config: it cannot see this file)
{snippets}
# the spawner family: the mixin on SimpleLocalProcessSpawner, servers as this user
c.JupyterHub.spawner_class = "hubtypes-simple"
{extra}
# every port from --port, nothing else on the machine's interfaces
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports.public}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports.hub}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports.proxy_api}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = "jupyterhub-proxy.pid"
c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "jupyterhub.pid"
c.HubTypesDatabase.url = {db_url!r}

# Real jupyter-server single-user servers as this user; homes under the state directory.
c.HubTypeSpawnerMixin.storage_root = {storage!r}
c.HubTypeSpawnerMixin.archive_root = {archive!r}
c.Spawner.default_url = "/lab"
c.Spawner.args = {args!r}
"""

COMMUNITY = """
# Members log in with any name and the shared password; "admin" with the admin password.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.SharedPasswordAuthenticator.admin_password = {admin_password!r}
c.Authenticator.admin_users = {{"admin"}}
c.Authenticator.allow_all = True
"""

SNIPPETS = {
    "community": ["20-hubtypes-spawner-community.py", "40-hubtypes-culler.py"],
    "workshop": [
        "10-hubtypes-workshop.py",
        "20-hubtypes-spawner-workshop.py",
        "30-hubtypes-workshop-service.py",
        "40-hubtypes-culler.py",
    ],
    "binder": [
        "20-hubtypes-spawner-binder.py",
        "40-hubtypes-culler.py",
        "50-hubtypes-binder-login.py",
    ],
}


def make_hub(hub_type: str, state: Path, ports: Ports, chp: str, *, participants: int) -> DemoHub:
    """The config, environment and printout of a ``hub_type`` demo in ``state``."""
    db_url = f"sqlite:///{state / 'hubtypes.sqlite'}"
    url = f"http://127.0.0.1:{ports.public}/"
    extra, lines = "", []
    # the culler reads the hub type from its command line: it cannot see the spawner
    # snippet's (load_subconfig), and asks servers about their kernels through our proxy
    culler_args = [f"--CullerService.default_hub_type={hub_type}",
                   f"--CullerService.proxy_url=http://127.0.0.1:{ports.public}"]  # fmt: skip
    if hub_type == "workshop":
        unassigned = "community"  # the admin: as 20-hubtypes-spawner-workshop.py sets
        culler_args.append(f"--CullerService.unassigned_hub_type={unassigned}")
        lines = _workshop_accounts(db_url, participants, url)
    elif hub_type == "community":
        password, admin_password = secrets.token_urlsafe(9), secrets.token_urlsafe(24)
        extra = COMMUNITY.format(password=password, admin_password=admin_password)
        lines = [
            f"\nThe demo community hub is running: {url}hub/login",
            f"Culler status (admins): {url}services/culler/\n",
            "Log in with any username and this shared password (new on every run):",
            f"  member       (any name)   {password}",
            f"  admin        admin        {admin_password}",
        ]
    else:
        lines = _binder_lines(state, url)
    config = COMMON.format(
        hub_type=hub_type,
        snippets="\n".join(
            f"load_subconfig({str(config_d_dir() / name)!r})" for name in SNIPPETS[hub_type]
        ),
        extra=extra,
        ports=ports,
        chp=chp,
        db_url=db_url,
        storage=str(state / "storage"),
        archive=str(state / "archive"),
        # jupyter-server refuses to run as root without it
        args=["--allow-root"] if os.geteuid() == 0 else [],
    )
    env = {
        "HUBTYPES_DB_URL": db_url,
        "HUBTYPES_WORKSHOP_SERVICE_URL": f"http://127.0.0.1:{ports.workshop_service}",
        "HUBTYPES_CULLER_URL": f"http://127.0.0.1:{ports.culler}",
        "HUBTYPES_CULLER_ARGS": " ".join(culler_args),
    }
    return DemoHub(config, env, lines)


def _workshop_accounts(db_url: str, participants: int, url: str) -> list[str]:
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
        for names, workshop_slug, role in ((wanted, DEMO_WORKSHOP, Role.participant),
                                           ([ADMIN], None, Role.admin)):  # fmt: skip
            missing = sorted(set(names) - existing_usernames(session, names))
            if missing:
                create_accounts(session, usernames=missing, workshop=workshop_slug, role=role,
                                expires_at=None, created_by="demo", now=now)  # fmt: skip
        credentials = reissue_codes(session, [ADMIN, *wanted], actor="demo", now=now)
    return [
        f"\nThe demo workshop hub is running: {url}hub/login",
        f"Workshops (instructors and admins): {url}services/workshop/",
        f"Culler status (admins): {url}services/culler/\n",
        "Log in with one of these (codes are new on every run):",
        *(f"  {c.role:<12} {c.username:<12} {c.code}" for c in credentials),
        f"\nParticipants' access ends {human(view.ends_at)}; "
        f"their accounts are purged after {human(view.delete_after)}.",
    ]


def binder_link(hub_url: str, repo: str = "", *, branch: str = "", open_path: str = "") -> str:
    """The link that starts an anonymous session; with ``repo``, one that also pulls that git
    repository into the new home with nbgitpuller and opens ``open_path`` in JupyterLab.

    tmpauthenticator's ``/hub/tmplogin`` makes the visitor and sends them to ``next``; the
    hub's ``/hub/spawn?next=`` starts their server and then goes on to nbgitpuller's
    ``git-pull`` on it (through ``/hub/user-redirect/``, which knows the visitor's name).
    """
    login = hub_url.rstrip("/") + "/hub/tmplogin"
    if not repo:
        return login
    pull = {"repo": repo, **({"branch": branch} if branch else {})}
    target = repo.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    pull.update(targetpath=target, urlpath=f"lab/tree/{target}/{open_path}".rstrip("/"))
    # each level escapes what would end its value (&, %, #, +, spaces), and no more, so
    # the repository's URL stays readable in the link
    git_pull = "/hub/user-redirect/git-pull?" + "&".join(
        f"{k}={quote(v, safe='/:')}" for k, v in pull.items()
    )
    spawn = "/hub/spawn?next=" + quote(git_pull, safe="/:?=")
    return login + "?next=" + quote(spawn, safe="/:?=")


SAMPLE_README = """\
# Materials from a git repository

This folder was pulled into your (throw-away) home by nbgitpuller when you followed the
binder link. On a real binder hub, the link names your course's repository instead.
"""


def sample_repository(state: Path) -> Path | None:
    """A small git repository in the state directory to pull by link (None without git)."""
    repo = state / "materials"
    git = shutil.which("git")
    if git is None:
        return None
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        (repo / "README.md").write_text(SAMPLE_README)
        ident = ["-c", "user.name=hubtypes demo", "-c", "user.email=demo@localhost"]
        for cmd in (["init", "-q", "-b", "main"], ["add", "README.md"],
                    [*ident, "commit", "-q", "-m", "Demo materials"]):  # fmt: skip
            done = subprocess.run([git, *cmd], cwd=repo, capture_output=True, text=True)
            if done.returncode != 0:
                raise CliError(f"could not make the demo's git repository {repo}: "
                               f"git {cmd[0]}: {done.stderr.strip()}")  # fmt: skip
    return repo


def _binder_lines(state: Path, url: str) -> list[str]:
    repo = sample_repository(state)
    lines = [
        f"\nThe demo binder hub is running: {url}",
        "Start an anonymous session (each visit of this link is a new visitor):",
        f"  {binder_link(url)}",
    ]
    if repo is not None:
        lines += [
            "Start one with materials pulled from a git repository (nbgitpuller):",
            f"  {binder_link(url, repo.as_uri(), branch='main', open_path='README.md')}",
        ]
    lines += [
        "A visitor's home is deleted when their server stops; the culler deletes the "
        "visitor then, stops servers idle for 10 minutes or older than 6 hours, and keeps "
        f"daily usage counts: `hubtypes usage` (culler status: {url}services/culler/, "
        "for an admin's token).",
    ]
    return lines


__all__ = ["TYPES", "DemoHub", "Ports", "binder_link", "make_hub", "sample_repository"]
