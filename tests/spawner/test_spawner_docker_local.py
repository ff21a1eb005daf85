"""DockerSpawner volumes, and LocalProcessSpawner directories for real system users."""

from __future__ import annotations

import grp
import logging
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import types
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from hubtypes.records import AccountView, WorkshopView
from hubtypes.storage.slugs import group_name

NOW = datetime.now(timezone.utc)
WS = WorkshopView("py-101", "Python 101", NOW, NOW + timedelta(days=1), NOW + timedelta(days=7))


def with_lookup(spawner: Any, accounts: dict[str, AccountView]) -> Any:
    async def lookup(username: str) -> AccountView | None:
        return accounts.get(username)

    spawner.lookup_account = lookup
    return spawner


async def test_docker_volumes_and_folders(tmp_path: Path):
    from hubtypes.spawner import HubTypesDockerSpawner

    c = Config()
    (tmp_path / "store").mkdir()  # the hub's view of the host's /host/hubtypes
    c.HubTypeSpawnerMixin.storage_root = str(tmp_path / "store")
    c.HubTypesDockerSpawner.docker_host_root = "/host/hubtypes"
    c.DockerSpawner.volumes = {"conda-cache": "/opt/conda/pkgs", "old-home": "/home/jovyan"}
    user = types.SimpleNamespace(name="alice", id=1, url="/user/alice/")
    sp = with_lookup(
        HubTypesDockerSpawner(config=c, user=user),
        {"alice": AccountView("alice", "participant", WS)},
    )
    await sp.hubtypes_prepare()
    assert sp.volumes == {
        "conda-cache": "/opt/conda/pkgs",  # the operator's own volume stays
        "/host/hubtypes/workshops/py-101/alice": {"bind": "/home/jovyan", "mode": "rw"},
        "/host/hubtypes/workshops/py-101/_shared": {"bind": "/home/jovyan/shared", "mode": "rw"},
    }
    assert sp.read_only_volumes == {
        "/host/hubtypes/workshops/py-101/_materials": "/home/jovyan/materials"
    }
    binds = sp.volume_binds
    assert binds["/host/hubtypes/workshops/py-101/_materials"] == {
        "bind": "/home/jovyan/materials",
        "mode": "ro",
    }
    home = tmp_path / "store/workshops/py-101/alice"
    st = home.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 100, 0o700)
    assert (tmp_path / "store/workshops/py-101/_materials").stat().st_uid == 1000
    assert sp.notebook_dir == "/home/jovyan"


def test_old_mixin_names_of_docker_traits_still_work_with_a_warning(caplog):
    from hubtypes.spawner import HubTypesDockerSpawner, deprecated

    # a logger of the test's own: without a parent, a spawner logs to traitlets' current
    # Application's logger, which another test in this process may have set not to
    # propagate (so caplog, on the root logger, saw nothing in CI's xdist run)
    log = logging.getLogger("hubtypes-test.docker")
    caplog.set_level(logging.WARNING, logger=log.name)
    deprecated._warned.clear()
    c = Config()
    c.HubTypeSpawnerMixin.docker_host_root = "/host/hubtypes"
    c.HubTypeSpawnerMixin.container_uid = "1001:1001"
    sp = HubTypesDockerSpawner(config=c, log=log)
    assert sp.docker_host_root == "/host/hubtypes" and sp.container_uid == "1001:1001"
    for name in ("docker_host_root", "container_uid"):
        assert (
            f"c.HubTypeSpawnerMixin.{name} is deprecated since hubtypes 0.2: "
            f"set c.HubTypesDockerSpawner.{name} instead" in caplog.text
        ), caplog.text
    # once per process: a second spawner says nothing more
    caplog.clear()
    HubTypesDockerSpawner(config=c, log=log)
    assert "deprecated" not in caplog.text
    # the new names warn nothing
    deprecated._warned.clear()
    c2 = Config()
    c2.HubTypesDockerSpawner.container_uid = "1001:1001"
    assert HubTypesDockerSpawner(config=c2, log=log).container_uid == "1001:1001"
    assert "deprecated" not in caplog.text


@pytest.fixture
def system_users():
    if os.geteuid() != 0:
        pytest.skip("creating system users needs root (CI runs as root)")
    tag = uuid.uuid4().hex[:6]
    names = {role: f"ht{role[:4]}{tag}" for role in ("participant", "instructor", "community")}
    for name in names.values():
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name], check=True)
    yield names
    for name in names.values():
        subprocess.run(["userdel", name], check=False)
    for kind in "mi":
        subprocess.run(["groupdel", group_name("py-101", kind)], check=False, capture_output=True)


def run_as(user: str, code: str) -> int:
    """Exit status of ``sh -c code`` run as ``user`` with their groups (like the spawner)."""
    pw = pwd.getpwnam(user)
    gids = os.getgrouplist(user, pw.pw_gid)

    def drop() -> None:
        os.setgroups(gids)
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return subprocess.run(["sh", "-c", code], preexec_fn=drop, capture_output=True).returncode


async def test_local_process_spawner_owners_and_modes(request, system_users):
    from hubtypes.spawner import HubTypesLocalSpawner

    # pytest's tmp_path is under a 0700 folder that the test users cannot traverse
    base = Path(tempfile.mkdtemp(prefix="hubtypes-local-"))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    base.chmod(0o755)
    root = base / "store"
    accounts = {
        system_users["participant"]: AccountView(system_users["participant"], "participant", WS),
        system_users["instructor"]: AccountView(system_users["instructor"], "instructor", WS),
    }
    c = Config()
    c.HubTypeSpawnerMixin.storage_root = str(root)
    homes = {}
    for role, name in system_users.items():
        user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/")
        sp = with_lookup(HubTypesLocalSpawner(config=c, user=user), accounts)
        mounts = await sp.hubtypes_prepare()
        homes[role] = root / mounts[0].subpath
        assert sp.notebook_dir == str(homes[role])
        env = sp.hubtypes_backend().environment(sp, mounts)
        assert env == {"HOME": str(homes[role])}
    ws = root / "workshops/py-101"
    members, instructors = (grp.getgrnam(group_name("py-101", k)) for k in "mi")

    def owner_mode(p: Path) -> tuple[str, str, int]:
        st = p.stat()
        return (
            pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name,
            stat.S_IMODE(st.st_mode),
        )

    assert owner_mode(ws) == ("root", members.gr_name, 0o710)
    assert owner_mode(ws / "_materials") == ("root", instructors.gr_name, 0o2775)
    assert owner_mode(ws / "_shared") == ("root", members.gr_name, 0o2770)
    for role in ("participant", "instructor"):
        name = system_users[role]
        assert owner_mode(homes[role])[0::2] == (name, 0o700)
        assert os.readlink(homes[role] / "materials") == "../_materials"
    assert homes["community"] == root / "community" / system_users["community"]
    # the OS enforces it: who can write where
    p, i, o = (system_users[r] for r in ("participant", "instructor", "community"))
    mat, shared = homes["participant"] / "materials", homes["participant"] / "shared"
    assert run_as(p, f"ls {mat} && touch {homes['participant']}/mine") == 0
    assert run_as(p, f"touch {mat}/x") != 0
    assert run_as(i, f"touch {homes['instructor']}/materials/lesson") == 0
    assert run_as(p, f"cat {mat}/lesson") == 0
    assert run_as(p, f"touch {shared}/from-p") == 0
    assert run_as(i, f"ls {homes['instructor']}/shared/from-p") == 0
    assert run_as(i, f"ls {homes['participant']}") != 0  # another user's home is private
    assert run_as(o, f"ls {ws}/_materials") != 0  # outsiders cannot enter the workshop
    assert run_as(o, f"ls {ws}/_shared") != 0


@pytest.mark.parametrize(
    "configured, option, expected",
    [
        ("", None, "/home/jovyan"),
        ("work", None, "/home/jovyan/work"),  # c.Spawner.notebook_dir, relative: in the home
        ("/srv/data", None, "/srv/data"),  # absolute: as the operator wrote it
        ("work", "projects/a", "/home/jovyan/projects/a"),  # the user's option wins
    ],
)
async def test_docker_keeps_the_operators_and_users_notebook_dir(
    tmp_path: Path, configured: str, option: str | None, expected: str
) -> None:
    """The mixin decides the home (the mount); where in it the container's server starts
    stays the operator's (``c.Spawner.notebook_dir``) and the user's (``user_options``,
    through JupyterHub's ``apply_user_options``), here and at the next start. In-process:
    there is no Docker daemon on these machines, so no container starts. JupyterHub's
    ``Spawner.get_env`` hands the container ``format_string(notebook_dir)`` as
    ``JUPYTERHUB_ROOT_DIR``; the local spawners' real-hub test is
    tests/spawner/test_spawner_operator_settings.py."""
    from hubtypes.spawner import HubTypesDockerSpawner

    c = Config()
    c.HubTypeSpawnerMixin.storage_root = str(tmp_path / "store")
    c.HubTypesDockerSpawner.docker_host_root = "/host/hubtypes"
    c.Spawner.notebook_dir = configured
    c.Spawner.apply_user_options = {"dir": "notebook_dir"}
    user = types.SimpleNamespace(name="alice", id=1, url="/user/alice/")
    sp = with_lookup(
        HubTypesDockerSpawner(config=c, user=user),
        {"alice": AccountView("alice", "participant", WS)},
    )
    for _start in range(2):  # a second start does not take the first one's path as configured
        if option is not None:
            await sp._run_apply_user_options({"dir": option})
        await sp.hubtypes_prepare()
        assert sp.notebook_dir == expected
        assert sp.format_string(sp.notebook_dir) == expected
