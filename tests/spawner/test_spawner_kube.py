"""KubeSpawner: manifests with a dummy kubeconfig, and real API calls against kmock."""

from __future__ import annotations

import asyncio
import json
import logging
import types
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_kube_cleanup_program import run_container
from traitlets.config import Config

from hubtypes.records import AccountView, WorkshopView
from hubtypes.spawner.kube import HubTypesKubeSpawner
from hubtypes.spawner.storage.kube import merge_storage
from hubtypes.spawner.storage.kube_cleanup import BOOTSTRAP, shipped_program

NOW = datetime.now(timezone.utc)
WS = WorkshopView("py-101", "Python 101", NOW, NOW + timedelta(days=1), NOW + timedelta(days=7))
NFS = {"persistentVolumeClaim": {"claimName": "hubtypes-nfs"}}
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{url}"}}}}]
users: [{{name: u, user: {{token: dummy}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u, namespace: hubtypes}}}}]
current-context: x
"""


def use_kubeconfig(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubernetes_asyncio.config import kube_config
    from kubespawner import clients

    # KubeSpawner caches API clients per event loop (a new loop may reuse an old
    # one's id) and reflectors per class: start each test from scratch
    monkeypatch.setattr(clients, "_client_cache", {})
    clients.load_config.cache_clear()  # lru_cached: it would keep the first URL
    monkeypatch.setattr(HubTypesKubeSpawner, "reflectors", {})
    monkeypatch.setenv("KUBECONFIG", str(path))
    # read once at import time by kubernetes_asyncio
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG.format(url="http://127.0.0.1:9"))  # nothing listens there
    use_kubeconfig(path, monkeypatch)
    return path


def make_spawner(
    account: AccountView | None,
    *,
    name: str = "alice",
    server: str = "",
    config: dict[str, dict[str, Any]] | None = None,
    **traits: Any,
) -> HubTypesKubeSpawner:
    c = Config(config or {})
    c.KubeSpawner.namespace = "hubtypes"
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.storage_capacity = "1Gi"
    c.HubTypesKubeSpawner.kube_shared_volume = NFS
    for key, value in traits.items():
        cls = "KubeSpawner" if key in ("volumes", "volume_mounts", "profile_list") else None
        setattr(c[cls or "HubTypesKubeSpawner"], key, value)
    user = types.SimpleNamespace(name=name, id=1, url=f"/user/{name}/")
    spawner = HubTypesKubeSpawner(config=c, _mock=True, user=user, name=server)

    async def lookup(username: str) -> AccountView | None:
        return account

    spawner.lookup_account = lookup  # type: ignore[method-assign]
    return spawner


def participant(role: str = "participant") -> AccountView:
    return AccountView("alice", role, WS)


# what Zero-to-JupyterHub writes for dynamic home storage
Z2JH_VOLUMES = {
    "volume-{username}": {
        "name": "volume-{username}",
        "persistentVolumeClaim": {"claimName": "{pvc_name}"},
    },
    "conda": {"name": "conda", "configMap": {"name": "condarc"}},
}
Z2JH_MOUNTS = {
    "volume-{username}": {"mountPath": "/home/jovyan", "name": "volume-{username}"},
    "conda": {"mountPath": "/etc/conda", "name": "conda"},
}


async def pod_dict(sp: HubTypesKubeSpawner) -> dict[str, Any]:
    """The pod manifest as the JSON the API server would get."""
    from kubernetes_asyncio.client import ApiClient

    async with ApiClient() as client:
        out: dict[str, Any] = client.sanitize_for_serialization(await sp.get_pod_manifest())
    return out


def volumes_and_mounts(pod: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    mounts = {m["mountPath"]: m for m in pod["spec"]["containers"][0]["volumeMounts"]}
    return volumes, mounts


async def test_workshop_pod_and_pvc_manifests_merge_z2jh_dicts(kubeconfig):
    sp = make_spawner(participant(), volumes=Z2JH_VOLUMES, volume_mounts=Z2JH_MOUNTS)
    await sp.hubtypes_prepare()
    pod = await pod_dict(sp)
    volumes, mounts = volumes_and_mounts(pod)
    # the chart's home volume is displaced (it would double-mount /home/jovyan); conda stays
    assert set(volumes) == {"conda", "hubtypes-home", "hubtypes-storage"}
    claim = {"claimName": "hubtypes-py-101.alice"}
    assert volumes["hubtypes-home"]["persistentVolumeClaim"] == claim
    assert volumes["hubtypes-storage"] == {"name": "hubtypes-storage", **NFS}
    assert mounts["/etc/conda"]["name"] == "conda"
    assert mounts["/home/jovyan"]["name"] == "hubtypes-home"
    m = mounts["/home/jovyan/materials"]
    assert (m["subPath"], m["readOnly"]) == ("workshops/py-101/_materials", True)
    s = mounts["/home/jovyan/shared"]
    assert (s["subPath"], s.get("readOnly")) == ("workshops/py-101/_shared", None)
    assert isinstance(sp.volumes, dict) and isinstance(sp.volume_mounts, dict)
    assert sp.get_pvc_manifest().metadata.name == "hubtypes-py-101.alice"
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["HUBTYPES_TYPE"] == "workshop" and env["HUBTYPES_WORKSHOP"] == "py-101"
    assert env["HUBTYPES_DELETE_AFTER"] == WS.delete_after.isoformat()


async def test_instructor_materials_writable_and_lists_merged(kubeconfig):
    sp = make_spawner(
        participant("instructor"),
        volumes=[{"name": "data", "emptyDir": {}}],
        volume_mounts=[{"name": "data", "mountPath": "/data"}],
        kube_home_storage="shared-volume",
    )
    await sp.hubtypes_prepare()
    volumes, mounts = volumes_and_mounts(await pod_dict(sp))
    assert mounts["/data"]["name"] == "data"
    assert mounts["/home/jovyan"]["subPath"] == "workshops/py-101/alice"
    assert "readOnly" not in mounts["/home/jovyan/materials"]
    assert not sp.storage_pvc_ensure  # no per-user PVC with shared-volume homes
    assert set(volumes) == {"data", "hubtypes-storage"}


async def test_binder_home_is_emptydir_and_community_keeps_kubespawner_pvc(kubeconfig):
    sp = make_spawner(None, default_hub_type="binder")
    await sp.hubtypes_prepare()
    volumes, _ = volumes_and_mounts(await pod_dict(sp))
    assert volumes == {"hubtypes-home": {"name": "hubtypes-home", "emptyDir": {}}}
    assert not sp.storage_pvc_ensure
    sp = make_spawner(None)
    default_pvc = sp.pvc_name
    await sp.hubtypes_prepare()
    volumes, _ = volumes_and_mounts(await pod_dict(sp))
    assert volumes["hubtypes-home"]["persistentVolumeClaim"]["claimName"] == default_pvc
    assert sp.storage_pvc_ensure


async def test_profile_list_overrides_are_merged_not_lost(kubeconfig):
    profiles = [
        {"display_name": "small", "slug": "small", "default": True},
        {
            "display_name": "data",
            "slug": "data",
            "kubespawner_override": {
                "volumes": [{"name": "big", "nfs": {"server": "nfs", "path": "/big"}}],
                "volume_mounts": [{"name": "big", "mountPath": "/big"}],
            },
        },
    ]
    sp = make_spawner(participant(), profile_list=profiles)
    sp.user_options = {"profile": "data"}
    await sp.hubtypes_prepare()
    await sp.load_user_options()  # KubeSpawner does this inside start(), after our hook
    _, mounts = volumes_and_mounts(await pod_dict(sp))
    paths = set(mounts)
    assert {"/big", "/home/jovyan", "/home/jovyan/materials", "/home/jovyan/shared"} <= paths


def test_merge_is_idempotent():
    ours = (
        [{"name": "hubtypes-home", "emptyDir": {}}],
        [{"name": "hubtypes-home", "mountPath": "/h"}],
    )
    once = merge_storage(Z2JH_VOLUMES, Z2JH_MOUNTS, ours)
    assert merge_storage(*once, ours) == once


# --- against the kmock Kubernetes emulator on loopback ---------------------

RESOURCES = ["v1/pods", "v1/persistentvolumeclaims", "v1/events", "v1/secrets", "v1/services"]


@pytest.fixture
async def k8s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import kmock

    async with kmock.KubernetesEmulator() as emulator, kmock.Server(emulator):
        for resource in RESOURCES:
            emulator.resources[resource] = {}
        path = tmp_path / "kubeconfig"
        path.write_text(KUBECONFIG.format(url=emulator.url))
        use_kubeconfig(path, monkeypatch)
        yield emulator


def objects(k8s: Any, plural: str) -> dict[str, Any]:
    out = {}
    for resource, _namespace, name in list(k8s.objects):
        if resource.plural == plural:
            try:
                obj = k8s.objects[resource, _namespace, name]
                if obj.history and obj.history[-1] is not None:
                    out[name] = obj
            except KeyError:
                pass
    return out


async def start_bounded(sp: HubTypesKubeSpawner) -> None:
    # no pod ever runs in the emulator, so start() never completes by itself
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(sp.start(), 2)


Kubelet = Callable[[dict[str, Any]], str]


async def finish_cleanup_pod(
    k8s: Any,
    task: asyncio.Task[None],
    kubelet: Kubelet | None = None,
    phase: str = "Succeeded",
) -> dict[str, Any]:
    """Wait for the cleanup pod, play kubelet, let the task end.

    The pod ends as ``phase``; with ``kubelet`` (the pod's manifest -> its termination
    message, e.g. by running its container locally) its container is terminated with that
    message, as the kubelet reports it."""
    for _ in range(100):
        pods = {n: p for n, p in objects(k8s, "pods").items() if n.startswith("hubtypes-cleanup-")}
        if pods:
            break
        assert not task.done(), task.exception()
        await asyncio.sleep(0.05)
    ((name, pod),) = pods.items()
    manifest = dict(pod)
    status: dict[str, Any] = {"phase": phase}
    if kubelet is not None:
        container = manifest["spec"]["containers"][0]
        code = 0 if phase == "Succeeded" else 1
        terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                      "message": kubelet(manifest)}  # fmt: skip
        status["containerStatuses"] = [
            {"name": container["name"], "image": container["image"], "imageID": "",
             "ready": False, "restartCount": 0, "state": {"terminated": terminated}}
        ]  # fmt: skip
    pod["status"] = status
    if phase != "Succeeded":
        await asyncio.wait([task], timeout=10)
        assert name in objects(k8s, "pods")  # left for inspection
        return manifest
    await asyncio.wait_for(task, 10)
    assert name not in objects(k8s, "pods")  # deleted after success
    return manifest


async def test_kmock_pvc_home_archived_by_pod_then_pvc_deleted(k8s):
    sp = make_spawner(participant())
    await start_bounded(sp)
    assert "hubtypes-py-101.alice" in objects(k8s, "persistentvolumeclaims")
    pod = objects(k8s, "pods")[sp.pod_name]
    mounts = {m["mountPath"]: m for m in pod["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["/home/jovyan/materials"]["readOnly"] is True
    assert mounts["/home/jovyan/materials"]["subPath"] == "workshops/py-101/_materials"
    # the hub deletes the user: archive (workshop policy) from the PVC, then KubeSpawner deletes it
    task = asyncio.create_task(sp.delete_forever())
    manifest = await finish_cleanup_pod(k8s, task)
    spec = manifest["spec"]
    assert spec["volumes"][0] == {
        "name": "source",
        "persistentVolumeClaim": {"claimName": "hubtypes-py-101.alice"},
    }
    assert spec["volumes"][1] == {"name": "archive", **NFS}
    container = spec["containers"][0]
    # hubtypes' own archive code, shipped in the spec; the user's image, which has python3
    assert container["command"] == ["python3", "-c", BOOTSTRAP, shipped_program()]
    assert container["image"] == sp.image
    assert container["terminationMessagePath"] == "/dev/termination-log"
    # HubTypesArchiving's defaults, the limits local spawners use
    assert container["args"][:13] == [
        "--storage", "/storage", "--archive", "/archive", "--report", "/dev/termination-log",
        "--max-bytes", str(10 * 1024**3), "--max-files", "200000", "--max-seconds", "900.0",
        "--",
    ]  # fmt: skip
    assert container["args"][13] == "alice" and container["args"][14] == "workshops/py-101"
    assert container["args"][15].startswith("alice-") and container["args"][16] == "keep"
    assert {"name": "archive", "mountPath": "/archive", "subPath": "_archive"} in container[
        "volumeMounts"
    ]
    assert "hubtypes-py-101.alice" not in objects(k8s, "persistentvolumeclaims")


async def test_kmock_a_retry_after_a_timeout_waits_for_the_first_pod(k8s):
    sp = make_spawner(participant(), kube_home_storage="shared-volume")
    await start_bounded(sp)
    sp.kube_cleanup_timeout = 0.5
    with pytest.raises(RuntimeError, match="not finished"):
        await sp.delete_forever()  # the pod is still running when the hub gives up
    [first] = [n for n in objects(k8s, "pods") if n.startswith("hubtypes-cleanup-")]
    sp.kube_cleanup_timeout = 30
    await asyncio.sleep(1.1)  # the archive's name has a time stamp to the second
    # the hub retries later (a new archive time stamp): it waits for the same pod
    task = asyncio.create_task(sp.delete_forever())
    manifest = await finish_cleanup_pod(k8s, task)
    assert manifest["metadata"]["name"] == first


async def test_kmock_shared_volume_subpath_removed_by_cleanup_pod(k8s):
    sp = make_spawner(participant(), kube_home_storage="shared-volume")
    await start_bounded(sp)
    assert objects(k8s, "persistentvolumeclaims") == {}
    sp.policy_overrides = {"workshop": {"on_delete": "delete"}}
    task = asyncio.create_task(sp.delete_forever())
    manifest = await finish_cleanup_pod(k8s, task)
    container = manifest["spec"]["containers"][0]
    # the pod sees only this workshop's folder, and deletes only alice in it
    assert container["volumeMounts"] == [
        {"name": "source", "mountPath": "/storage", "subPath": "workshops/py-101"}
    ]
    assert container["args"][-5:] == ["--", "alice", "", "", "delete"]
    assert manifest["spec"]["volumes"] == [{"name": "source", **NFS}]


# --- the cleanup pod's report: the hub audits an archive stopped at a limit ---------


def local_kubelet(tmp_path: Path, files: int = 3) -> Kubelet:
    """Runs the cleanup pod's container here, on a home of ``files`` files (the PVC's
    content, or the shared volume's subPath); returns the termination message it wrote."""

    def kubelet(manifest: dict[str, Any]) -> str:
        storage, archive, run = (tmp_path / d for d in ("storage", "archive", "run"))
        for d in (storage / "alice", archive, run):
            d.mkdir(parents=True)
        for i in range(files):
            (storage / "alice" / f"f{i}").write_text(str(i))
        report = run / "termination-log"
        done = run_container(manifest["spec"]["containers"][0], storage, archive, report)
        assert done.returncode == 0, done.stderr
        return report.read_text()

    return kubelet


def archive_limit_events(db_url: str) -> list[Any]:
    from hubtypes.db.database import Database
    from hubtypes.db.queries.audit import select_audit

    db = Database(db_url)
    try:
        with db.session() as s:
            events = [e for e in s.scalars(select_audit()) if e.action == "storage.archive-limit"]
            return [(e.actor, e.target, dict(e.details)) for e in events]
    finally:
        db.dispose()


@pytest.mark.parametrize("max_files", [2, 0])
async def test_kmock_an_archive_limit_hit_in_the_pod_is_audited(k8s, tmp_path, caplog, max_files):
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    config = {"HubTypesArchiving": {"max_files": max_files}, "HubTypesDatabase": {"url": db_url}}
    sp = make_spawner(participant(), config=config)
    await start_bounded(sp)
    caplog.set_level(logging.INFO, logger="hubtypes.spawner")
    task = asyncio.create_task(sp.delete_forever())
    manifest = await finish_cleanup_pod(k8s, task, local_kubelet(tmp_path))
    args = manifest["spec"]["containers"][0]["args"]
    assert args[args.index("--max-files") + 1] == str(max_files)  # c.HubTypesArchiving's
    assert "hubtypes-py-101.alice" not in objects(k8s, "persistentvolumeclaims")  # went on
    events = archive_limit_events(db_url)
    if not max_files:  # complete: said at INFO, nothing audited
        assert events == []
        assert "hubtypes: archived alice (3 files, 3 bytes on disk" in caplog.text
        assert "stopped at a limit" not in caplog.text
        return
    [(actor, target, details)] = events
    assert (actor, target) == ("hub", "alice")
    assert details["home"] == "workshops/py-101/alice"
    assert details["limit"] == "files: 2 stored (the limit is 2)"
    assert (details["files"], details["volume"]) == (2, "kube_shared_volume")
    # where the manifest is on the archive volume: storage_root's layout
    stamp = args[-2]
    assert details["manifest"] == f"_archive/workshops/py-101/{stamp}.manifest.json"
    manifest_file = tmp_path / "archive" / "workshops" / "py-101" / f"{stamp}.manifest.json"
    assert json.loads(manifest_file.read_text())["complete"] is False
    assert "the archive of workshops/py-101/alice stopped at a limit" in caplog.text


@pytest.mark.parametrize("message", ["", "hubtypes: archived alice", '{"complete": "yes"}'])
async def test_kmock_a_missing_or_garbled_report_does_not_fail_the_deletion(k8s, caplog, message):
    sp = make_spawner(participant(), kube_home_storage="shared-volume")
    await start_bounded(sp)
    caplog.set_level(logging.WARNING, logger="hubtypes.spawner")
    task = asyncio.create_task(sp.delete_forever())
    await finish_cleanup_pod(k8s, task, lambda _manifest: message)  # ends without error
    assert "succeeded without a readable report" in caplog.text


async def test_kmock_a_failed_pod_fails_the_deletion_with_its_logs_tail(k8s):
    sp = make_spawner(participant(), kube_home_storage="shared-volume")
    await start_bounded(sp)
    task = asyncio.create_task(sp.delete_forever())
    tail = "hubtypes.fs.safe_delete.UnsafePath: alice is on another filesystem"
    await finish_cleanup_pod(k8s, task, lambda _manifest: tail, phase="Failed")
    with pytest.raises(RuntimeError, match="ended as Failed .*UnsafePath: alice is on another"):
        task.result()


async def test_kmock_community_pvc_kept_on_delete(k8s):
    sp = make_spawner(None)
    await start_bounded(sp)
    pvc = sp.pvc_name
    assert pvc in objects(k8s, "persistentvolumeclaims")
    await asyncio.wait_for(sp.delete_forever(), 10)
    assert pvc in objects(k8s, "persistentvolumeclaims")
    assert not any(n.startswith("hubtypes-cleanup-") for n in objects(k8s, "pods"))


async def test_old_mixin_names_of_kube_traits_still_work_with_a_warning(kubeconfig, caplog):
    from hubtypes.spawner import deprecated

    # a logger of the test's own (see the Docker counterpart in test_spawner_docker_local)
    log = logging.getLogger("hubtypes-test.kube")
    caplog.set_level(logging.WARNING, logger=log.name)
    deprecated._warned.clear()
    c = Config()
    c.HubTypeSpawnerMixin.kube_shared_volume = NFS
    c.HubTypeSpawnerMixin.kube_home_storage = "shared-volume"
    sp = HubTypesKubeSpawner(config=c, _mock=True, log=log)
    assert sp.kube_shared_volume == NFS and sp.kube_home_storage == "shared-volume"
    assert (
        "c.HubTypeSpawnerMixin.kube_shared_volume is deprecated since hubtypes 0.2: "
        "set c.HubTypesKubeSpawner.kube_shared_volume instead" in caplog.text
    )
