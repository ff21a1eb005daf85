"""The mixin on KubeSpawner (entry point ``hubtypes-kube``), with its Kubernetes-only traits.

The storage decisions and the cleanup pod are in :mod:`hubtypes.spawner.storage.kube`.
"""

from __future__ import annotations

from typing import Any

from kubespawner import KubeSpawner
from traitlets import CaselessStrEnum, Dict, Float, Unicode

from hubtypes.spawner.deprecated import warn_moved_traits
from hubtypes.spawner.mixin import HubTypeSpawnerMixin
from hubtypes.spawner.storage.kube import KubeStorage


class HubTypesKubeSpawner(HubTypeSpawnerMixin, KubeSpawner):
    """KubeSpawner with hub-type-aware storage (entry point ``hubtypes-kube``).
    Configure its own traits as ``c.HubTypesKubeSpawner.<trait>``."""

    storage_backend = KubeStorage()

    kube_home_storage = CaselessStrEnum(
        ["pvc", "shared-volume"],
        default_value="pvc",
        help="""``pvc`` gives each user a PVC (KubeSpawner's own, renamed to
        ``hubtypes-{workshop}.{user}`` for workshop users, created and deleted by
        KubeSpawner); ``shared-volume`` puts every home on ``kube_shared_volume`` with a
        subPath, removed on deletion by a short-lived cleanup pod.""",
    ).tag(config=True)

    kube_shared_volume = Dict(
        help="""the volume (a Kubernetes volume source without ``name``, e.g.
        ``{"persistentVolumeClaim": {"claimName": "hubtypes-nfs"}}``) holding
        workshop materials and shared folders as subPaths, and homes too with
        ``kube_home_storage = "shared-volume"``. Its layout is ``storage_root``'s.""",
    ).tag(config=True)

    kube_archive_volume = Dict(
        help="""volume source for archives written by the cleanup pod (e.g.
        a PVC). Empty: archives go to ``_archive/`` on ``kube_shared_volume``.""",
    ).tag(config=True)

    kube_cleanup_image = Unicode(
        "busybox:1.36",
        help="image of the cleanup pod (needs sh, tar, gzip, rm).",
    ).tag(config=True)

    kube_cleanup_timeout = Float(
        300.0,
        help="seconds to wait for the cleanup pod to finish before failing.",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warn_moved_traits(self, "HubTypesKubeSpawner", KUBE_TRAITS)
        if self.kube_home_storage == "shared-volume" and not self.kube_shared_volume:
            # each spawn would fail; say so once, at start, with both names
            self.log.error(
                "hubtypes: c.HubTypesKubeSpawner.kube_home_storage = 'shared-volume' needs "
                "c.HubTypesKubeSpawner.kube_shared_volume (a volume source, e.g. "
                '{"persistentVolumeClaim": {"claimName": "hubtypes-shared"}})'
            )

    async def get_pod_manifest(self) -> Any:
        if self.hubtypes_resolution is not None:
            # again: profile_list overrides were applied after our start() ran
            KubeStorage().apply(self)
        return await super().get_pod_manifest()


KUBE_TRAITS = (
    "kube_home_storage",
    "kube_shared_volume",
    "kube_archive_volume",
    "kube_cleanup_image",
    "kube_cleanup_timeout",
)

__all__ = ["HubTypesKubeSpawner"]
