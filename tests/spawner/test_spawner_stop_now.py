"""Servers a reset is about to delete stop at once (the spawner's ``now=True``), others gently.

What ``now`` does is read from the spawners' source: jupyterhub/spawner.py
``LocalProcessSpawner.stop`` (False: SIGINT, wait ``interrupt_timeout``, then SIGTERM,
SIGKILL; True: straight to SIGTERM) and kubespawner/spawner.py ``KubeSpawner.stop`` (True:
``grace_period_seconds = 0`` on the pod's delete, else ``delete_grace_period``); JupyterHub
itself calls ``spawner.stop()`` with no arguments (jupyterhub/user.py ``User.stop``).
The Kubernetes API is kmock's emulator (no cluster can run here), as in test_spawner_kube.py.
"""

from __future__ import annotations

import glob
import os
import types
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from test_spawner_kube import KUBECONFIG, NFS, RESOURCES, start_bounded, use_kubeconfig
from traitlets.config import Config

from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries.accounts import being_deleted, create_accounts, disable_accounts
from hubtypes.db.queries.resets import start_reset
from hubtypes.db.queries.workshops import create_workshop
from hubtypes.inputs import WorkshopInput
from hubtypes.spawner.kube import HubTypesKubeSpawner
from hubtypes.spawner.stopping import descendants, takes_now

NOW = datetime.now(timezone.utc)


def database(path: Path) -> str:
    """py has ann (a participant) and bob (an instructor); r has rex (a participant)."""
    url = f"sqlite:///{path / 'hubtypes.sqlite'}"
    db = Database(url)
    with db.session() as s:
        for slug in ("py", "r"):
            dates = (NOW - timedelta(hours=1), NOW + timedelta(days=1), NOW + timedelta(days=2))
            create_workshop(s, WorkshopInput(slug, slug, *dates), created_by="t", now=NOW)
        for name, slug, role in [("ann", "py", Role.participant), ("bob", "py", Role.instructor),
                                 ("rex", "r", Role.participant)]:  # fmt: skip
            create_accounts(s, usernames=[name], workshop=slug, role=role, expires_at=None,
                            created_by="t", now=NOW)  # fmt: skip
    db.dispose()
    return url


def begin_reset(url: str) -> None:
    """py's reset starts (ann is in its plan, bob is not); rex is disabled by hand."""
    db = Database(url)
    with db.session() as s:
        disable_accounts(s, ["ann", "rex"])
        start_reset(s, "py", {"delete": [{"name": "ann"}]}, actor="t", now=NOW)
    db.dispose()


def test_being_deleted_needs_a_running_reset_of_the_workshop(tmp_path):
    url = database(tmp_path)
    begin_reset(url)
    db = Database(url)
    with db.session() as s:
        assert [n for n in ("ann", "bob", "rex", "nobody") if being_deleted(s, n)] == ["ann"]
    db.dispose()


def test_takes_now():
    async def with_now(now=False): ...
    async def no_args(): ...
    async def anything(*args, **kwargs): ...

    assert takes_now(with_now) and takes_now(anything) and not takes_now(no_args)


@pytest.mark.parametrize(
    "tree, below",
    [
        ({1: []}, []),
        ({1: [2, 3], 2: [4], 3: [], 4: []}, [2, 3, 4]),  # parents before their children
        ({1: [2], 2: [1]}, [2]),  # a loop (pids reused while reading) ends
        ({1: [2], 2: [2, 3]}, [2, 3]),
        ({1: [9]}, [9]),  # a child gone before it was read: no children
    ],
)
def test_descendants(tree, below):
    assert descendants(lambda p: list(tree.get(p, [])), 1) == below


@pytest.fixture
async def k8s_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import kmock

    url = database(tmp_path)
    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator):
        for resource in RESOURCES:
            emulator.resources[resource] = {}
        path = tmp_path / "kubeconfig"
        path.write_text(KUBECONFIG.format(url=emulator.url))
        use_kubeconfig(path, monkeypatch)
        yield emulator, url


def kube_spawner(name: str, db_url: str) -> HubTypesKubeSpawner:
    c = Config()
    c.KubeSpawner.namespace = "hubtypes"
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.storage_capacity = "1Gi"
    c.HubTypesKubeSpawner.kube_shared_volume = NFS
    c.HubTypesDatabase.url = db_url
    user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/")
    return HubTypesKubeSpawner(config=c, _mock=True, user=user, name="")


async def test_kube_pod_of_an_account_being_reset_is_deleted_without_grace(k8s_db):
    k8s, url = k8s_db
    grace = {}
    spawners = {name: kube_spawner(name, url) for name in ("ann", "bob")}
    for sp in spawners.values():
        await start_bounded(sp)
    begin_reset(url)
    for name, sp in spawners.items():
        await sp.stop()  # as JupyterHub calls it: no arguments
        deletes = [r for r in k8s if r.method == "DELETE" and sp.pod_name in str(r.url)]
        assert deletes, [f"{r.method} {r.url}" for r in k8s]
        grace[name] = deletes[-1].data["gracePeriodSeconds"]
    assert grace == {"ann": 0, "bob": kube_spawner("x", url).delete_grace_period}
    # an explicit argument is passed on as it is
    sp = kube_spawner("bob", url)
    await start_bounded(sp)
    await sp.stop(True)
    deletes = [r for r in k8s if r.method == "DELETE" and sp.pod_name in str(r.url)]
    assert deletes[-1].data["gracePeriodSeconds"] == 0


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


@pytest.mark.hub
def test_local_server_of_a_reset_account_is_killed_with_its_kernel(real_hub_factory, tmp_path):
    """On a real hub (SimpleLocalProcessSpawner, debug log): the reset kills the server and
    the kernel it started (SIGKILL; the kernel runs in a session of its own), where an
    ordinary stop starts with SIGINT ("Interrupting")."""
    import svchub

    sh = svchub.start(real_hub_factory, tmp_path, hubtypes_spawner=True)
    sh.workshop("st")
    [ann, bob] = sh.accounts("--workshop", "st", "--count", "2")
    pids = {}
    for name in (ann, bob):
        sh.login(name)
        assert sh.hub.api("POST", f"/users/{name}/server").status_code in (201, 202)
        sh.hub.wait_ready(name)
        pids[name] = sh.hub.server_process(name)[0]
    # an ordinary stop: gentle
    assert sh.hub.api("DELETE", f"/users/{bob}/server").status_code in (202, 204)
    svchub.wait_for(lambda: not sh.hub.api("GET", f"/users/{bob}").json()["servers"], 60,
                    "bob's server stopped")  # fmt: skip
    assert f"Interrupting {pids[bob]}" in sh.hub.log_text()
    # ann runs a kernel: a child of her server, in a session of its own
    server_pid, env = sh.hub.server_process(ann)
    headers = {"Authorization": f"token {env['JUPYTERHUB_API_TOKEN']}"}
    r = requests.post(f"{sh.hub.url}user/{ann}/api/kernels", headers=headers, json={},
                      timeout=60)  # fmt: skip
    assert r.status_code == 201, r.text
    kernel = svchub.wait_for(lambda: _kernel_pid(server_pid), 60, "the kernel process")
    assert os.getsid(kernel) != os.getsid(server_pid)
    # the reset's stop: at once
    r = sh.call("POST", "workshops/st/reset", json={"confirm": "st"})
    assert r.status_code == 202, r.text
    svchub.wait_for(lambda: sh.call("GET", "workshops/st/reset").json()["state"] == "done", 120,
                    "the reset done")  # fmt: skip
    log = sh.hub.log_text()
    assert f"{ann} is being reset; stopping at once" in log
    assert f"killed {ann}'s server (pid {pids[ann]}) and the 1 process(es)" in log
    assert f"Interrupting {pids[ann]}" not in log
    assert not alive(pids[ann]) and not alive(kernel)  # no kernel left behind
    assert sh.hub.api("GET", f"/users/{ann}").status_code == 404


def _kernel_pid(server: int) -> int | None:
    """The ipykernel process the server started, once it runs."""
    for path in glob.glob(f"/proc/{server}/task/*/children"):
        for pid in open(path).read().split():
            if "ipykernel" in open(f"/proc/{pid}/cmdline").read():
                return int(pid)
    return None
