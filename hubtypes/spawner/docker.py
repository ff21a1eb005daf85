"""The mixin on DockerSpawner (entry point ``hubtypes-docker``), with its Docker-only traits.

The volume decisions are in :mod:`hubtypes.spawner.storage.docker`.
"""

from __future__ import annotations

from typing import Any

from dockerspawner import DockerSpawner
from traitlets import Unicode

from hubtypes.spawner.deprecated import warn_moved_traits
from hubtypes.spawner.mixin import HubTypeSpawnerMixin
from hubtypes.spawner.storage.docker import DockerStorage


class HubTypesDockerSpawner(HubTypeSpawnerMixin, DockerSpawner):
    """DockerSpawner with hub-type-aware storage (entry point ``hubtypes-docker``).
    Configure its own traits as ``c.HubTypesDockerSpawner.<trait>``."""

    storage_backend = DockerStorage()

    docker_host_root = Unicode(
        "",
        help="""The path of ``storage_root`` on the Docker host, if the hub runs in a
        container that sees it elsewhere: the containers' bind mounts name host paths.
        Default ``""``: the same path as ``storage_root``. E.g. ``/srv/hubtypes`` when the
        hub container mounts that host directory at ``/data/hubtypes``.""",
    ).tag(config=True)

    container_uid = Unicode(
        "1000",
        help="""The owner (``uid:gid``, or ``uid`` with gid 100) of the home, materials and
        shared folders the spawner creates, so the user inside the container can write
        them. Default ``1000`` (with gid 100: ``jovyan``, ``1000:100``, in the Jupyter
        Docker stacks); e.g. ``"1001:1001"`` for an image whose user is 1001.""",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warn_moved_traits(self, "HubTypesDockerSpawner", DOCKER_TRAITS)


DOCKER_TRAITS = ("docker_host_root", "container_uid")

__all__ = ["HubTypesDockerSpawner"]
