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
        help="""Where homes live on Kubernetes. ``pvc`` (the default) gives each user a PVC
        (KubeSpawner's own, renamed to ``hubtypes-{workshop}.{user}`` for workshop users,
        created and deleted by KubeSpawner); ``shared-volume`` puts every home on
        ``kube_shared_volume`` with a subPath, removed on deletion by a short-lived cleanup
        pod. E.g. ``c.HubTypesKubeSpawner.kube_home_storage = "shared-volume"`` with an NFS
        ``kube_shared_volume``.""",
    ).tag(config=True)

    kube_shared_volume = Dict(
        help="""The volume holding workshop materials and shared folders as subPaths (and
        homes too with ``kube_home_storage = "shared-volume"``): a Kubernetes volume source
        without ``name``. Its layout is ``storage_root``'s. Default ``{}`` (none: workshop
        materials and shared folders cannot be mounted, and ``shared-volume`` homes fail).
        E.g. ``c.HubTypesKubeSpawner.kube_shared_volume =
        {"persistentVolumeClaim": {"claimName": "hubtypes-nfs"}}``.""",
    ).tag(config=True)

    kube_archive_volume = Dict(
        help="""The volume the cleanup pod writes archives of deleted homes to, for policies
        whose ``on_delete`` is ``archive``: a Kubernetes volume source without ``name``.
        Default ``{}``: archives go to ``_archive/`` on ``kube_shared_volume`` (with neither
        set, an archiving deletion fails and deletes nothing). E.g.
        ``{"persistentVolumeClaim": {"claimName": "hubtypes-archive"}}``.""",
    ).tag(config=True)

    kube_cleanup_image = Unicode(
        "",
        help="""Image of the short-lived cleanup pod that archives and removes a home the
        hub process cannot see. The pod runs hubtypes' own archive and delete code, shipped
        in the pod spec, so the image needs only ``python3`` (3.10 or newer; no hubtypes,
        no other package). Default ``""``: the user's server image (``KubeSpawner.image``,
        with its ``image_pull_policy``; ``image_pull_secrets`` are passed either way),
        which on a Jupyter image has ``python3`` and is already on the nodes. E.g.
        ``c.HubTypesKubeSpawner.kube_cleanup_image = "python:3.12-slim"`` (or a mirror of
        it) when the server image has no Python 3.10.""",
    ).tag(config=True)

    kube_cleanup_timeout = Float(
        1200.0,
        help="""Seconds to wait for the cleanup pod to finish. If it has not succeeded by
        then, the deletion fails and the user stays in place, to be retried. The pod's
        archive stops at ``c.HubTypesArchiving.max_seconds`` (default 900; then the hub
        audits ``storage.archive-limit``), so this is a backstop and should leave time
        beyond that for the pod to start and delete the home. Default ``1200``; e.g.
        ``2400`` with ``max_seconds = 1800``.""",
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
