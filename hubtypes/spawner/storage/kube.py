"""Kubernetes: the abstract mounts as KubeSpawner volumes, PVC names and cleanup pods.

Homes are either per-user PVCs (KubeSpawner creates and deletes them; workshop
users' PVCs are named ``hubtypes-{workshop}.{user}`` so a workshop's claims are
recognisable) or subPaths of one shared volume. Materials and shared folders
are always subPaths of the shared volume; materials are ``readOnly`` for
participants. Binder homes are ``emptyDir``: they vanish with the pod.

The operator's own ``volumes``/``volume_mounts`` (lists, or dicts as
Zero-to-JupyterHub writes them) are kept: ours are added, and only an entry
mounted at the same path as one of ours (the chart's home PVC, typically) is
displaced, together with its now unused volume. The merge runs again right
before the pod manifest is built, after ``profile_list`` overrides are applied.
"""

from __future__ import annotations

import posixpath
from typing import Any

from hubtypes.fs.archive import ArchiveLimits, ArchiveReport
from hubtypes.fs.cleanup_main import PodReport
from hubtypes.fs.work import storage_work
from hubtypes.spawner.storage.archiving import HubTypesArchiving, audit_archive_limit
from hubtypes.spawner.storage.base import StorageBackend
from hubtypes.spawner.storage.kube_cleanup import cleanup_pod_manifest, run_cleanup_pod
from hubtypes.storage.hub_types import HubType, Resolution, StorageAction
from hubtypes.storage.mounts import Mount

STORAGE_VOLUME = "hubtypes-storage"
HOME_VOLUME = "hubtypes-home"
ARCHIVE_SUBPATH = "_archive"  # archives on kube_shared_volume, without kube_archive_volume


def workshop_pvc_name(workshop_dir: str, user_dir: str) -> str:
    # '.' never occurs in a slug, so (workshop, user) -> name is injective
    return f"hubtypes-{workshop_dir}.{user_dir}"


def kube_storage(
    mounts: tuple[Mount, ...],
    *,
    home_storage: str,
    shared_volume: dict[str, Any],
    pvc_name: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, volume_mounts) for the mounts; pure."""
    volumes: dict[str, dict[str, Any]] = {}
    vmounts: list[dict[str, Any]] = []
    for m in mounts:
        if m.kind == "home" and m.ephemeral:
            volumes[HOME_VOLUME] = {"name": HOME_VOLUME, "emptyDir": {}}
            vmounts.append({"name": HOME_VOLUME, "mountPath": m.target})
        elif m.kind == "home" and home_storage == "pvc":
            claim = {"persistentVolumeClaim": {"claimName": pvc_name}}
            volumes[HOME_VOLUME] = {"name": HOME_VOLUME, **claim}
            vmounts.append({"name": HOME_VOLUME, "mountPath": m.target})
        else:
            if not shared_volume:
                raise ValueError(
                    f"the {m.kind} folder needs c.HubTypesKubeSpawner.kube_shared_volume"
                )
            volumes[STORAGE_VOLUME] = {"name": STORAGE_VOLUME, **shared_volume}
            vm: dict[str, Any] = {"name": STORAGE_VOLUME, "mountPath": m.target}
            vm["subPath"] = m.subpath
            if m.read_only:
                vm["readOnly"] = True
            vmounts.append(vm)
    return list(volumes.values()), vmounts


def _entries(src: list[Any] | dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    if isinstance(src, dict):
        return [(k, v) for k, v in src.items()]
    return [(None, v) for v in src]


def merge_storage(
    volumes: list[Any] | dict[str, Any],
    volume_mounts: list[Any] | dict[str, Any],
    ours: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> tuple[list[Any] | dict[str, Any], list[Any] | dict[str, Any]]:
    """The operator's volumes and mounts with ours merged in, each in its own shape."""
    our_volumes, our_mounts = ours
    our_paths = {m["mountPath"] for m in our_mounts}
    our_names = {v["name"] for v in our_volumes}
    kept_mounts = [
        (k, m)
        for k, m in _entries(volume_mounts)
        if m.get("mountPath") not in our_paths and m.get("name") not in our_names
    ]
    displaced = {m.get("name") for _, m in _entries(volume_mounts)} - {
        m.get("name") for _, m in kept_mounts
    }
    kept_volumes = [
        (k, v)
        for k, v in _entries(volumes)
        if v.get("name") not in displaced and v.get("name") not in our_names
    ]
    new_volumes: list[Any] | dict[str, Any]
    new_mounts: list[Any] | dict[str, Any]
    if isinstance(volumes, dict):
        new_volumes = {str(k): v for k, v in kept_volumes}
        new_volumes.update({v["name"]: v for v in our_volumes})
    else:
        new_volumes = [v for _, v in kept_volumes] + our_volumes
    if isinstance(volume_mounts, dict):
        new_mounts = {str(k): m for k, m in kept_mounts}
        new_mounts.update({f"{m['name']}:{m['mountPath']}": m for m in our_mounts})
    else:
        new_mounts = [m for _, m in kept_mounts] + our_mounts
    return new_volumes, new_mounts


class KubeStorage(StorageBackend):
    """For KubeSpawner: reads the traits of :class:`hubtypes.spawner.kube.HubTypesKubeSpawner`."""

    async def prepare(self, spawner: Any, res: Resolution, mounts: tuple[Mount, ...]) -> None:
        if not hasattr(spawner, "_hubtypes_pvc_ensure"):
            spawner._hubtypes_pvc_ensure = spawner.storage_pvc_ensure
        home = mounts[0]
        uses_pvc = spawner.kube_home_storage == "pvc" and not home.ephemeral
        spawner.storage_pvc_ensure = spawner._hubtypes_pvc_ensure and uses_pvc
        if uses_pvc and res.hub_type == HubType.workshop:
            spawner.pvc_name = workshop_pvc_name(res.workshop_dir, res.user_dir)
        self.apply(spawner)

    def apply(self, spawner: Any) -> None:
        """Merge the mounts into the spawner's traits (idempotent)."""
        ours = kube_storage(
            spawner.hubtypes_mounts,
            home_storage=spawner.kube_home_storage,
            shared_volume=dict(spawner.kube_shared_volume),
            pvc_name=spawner.pvc_name,
        )
        spawner.volumes, spawner.volume_mounts = merge_storage(
            spawner.volumes, spawner.volume_mounts, ours
        )

    async def remove_home(
        self, spawner: Any, stored: dict[str, str], action: StorageAction
    ) -> None:
        policy = spawner._policies()[HubType(stored["type"])]
        ephemeral = policy.on_stop == StorageAction.delete
        from_pvc = spawner.kube_home_storage == "pvc"
        if from_pvc and stored["type"] == HubType.workshop.value and not spawner.name:
            spawner.pvc_name = workshop_pvc_name(stored["workshop"], stored["user"])
        # KubeSpawner's own delete_forever (called after us) deletes the PVC iff this
        spawner.delete_pvc = from_pvc and not ephemeral and action != StorageAction.keep
        if ephemeral or action == StorageAction.keep:
            return
        if from_pvc and action == StorageAction.delete:
            return  # KubeSpawner deletes the PVC
        settings = HubTypesArchiving(parent=spawner)  # the limits local spawners use
        manifest = self.cleanup_manifest(spawner, stored, action, from_pvc, settings.limits)
        report = await run_cleanup_pod(spawner.api, manifest, timeout=spawner.kube_cleanup_timeout)
        if report is not None and report.archived and not report.complete:
            archived = self.archive_report(spawner, report)
            volume = "kube_archive_volume" if spawner.kube_archive_volume else "kube_shared_volume"
            await storage_work(settings.workers).run(
                ("audit", archived.manifest), audit_archive_limit, spawner, stored, archived, volume
            )

    @staticmethod
    def archive_report(spawner: Any, report: PodReport) -> ArchiveReport:
        """The pod's report as the hub process's own: paths on the archive volume."""
        prefix = "" if spawner.kube_archive_volume else ARCHIVE_SUBPATH
        manifest = posixpath.join(prefix, report.manifest)
        return ArchiveReport(
            archive=manifest.removesuffix(".manifest.json") + ".tar.gz",
            manifest=manifest,
            files=report.files,
            bytes=report.bytes,
            sparse=report.sparse,
            limit=report.limit,
        )

    def cleanup_manifest(
        self,
        spawner: Any,
        stored: dict[str, str],
        action: StorageAction,
        from_pvc: bool,
        limits: ArchiveLimits | None = None,
    ) -> dict[str, Any]:
        import time

        archive: dict[str, Any] = {}
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        if action == StorageAction.archive:
            volume = dict(spawner.kube_archive_volume) or dict(spawner.kube_shared_volume)
            if not volume:
                raise RuntimeError(
                    "archiving needs c.HubTypesKubeSpawner.kube_archive_volume "
                    "or kube_shared_volume; nothing was deleted"
                )
            archive = {
                "archive_volume": volume,
                "archive_subpath": "" if spawner.kube_archive_volume else ARCHIVE_SUBPATH,
                "archive_dir": posixpath.dirname(stored["home"]),
                "archive_name": f"{stored['user']}-{stamp}",
            }
        if from_pvc:
            source = {"persistentVolumeClaim": {"claimName": spawner.pvc_name}}
        else:
            source = dict(spawner.kube_shared_volume)
        # "": the user's server image, which has python3 and is on the nodes already
        image = spawner.kube_cleanup_image or spawner.image
        return cleanup_pod_manifest(
            namespace=spawner.namespace,
            image=image,
            source_volume=source,
            home=stored["home"],
            from_pvc=from_pvc,
            delete=not from_pvc,  # a PVC is deleted whole by KubeSpawner afterwards
            limits=limits,
            image_pull_policy=None if spawner.kube_cleanup_image else spawner.image_pull_policy,
            image_pull_secrets=pull_secrets(spawner.image_pull_secrets),
            **archive,
        )


def pull_secrets(secrets: list[Any] | str | None) -> list[dict[str, str]]:
    """KubeSpawner's ``image_pull_secrets`` (names, or ``{"name": ...}``) as a pod spec's."""
    if not secrets:
        return []
    if isinstance(secrets, str):
        secrets = [secrets]
    return [{"name": s} if isinstance(s, str) else {"name": str(s["name"])} for s in secrets]


__all__ = ["KubeStorage", "kube_storage", "merge_storage", "workshop_pvc_name"]
