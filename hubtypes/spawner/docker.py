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
        help="""path of ``storage_root`` on the Docker host, if the hub
        runs in a container that sees it elsewhere. Default: ``storage_root``.""",
    ).tag(config=True)

    container_uid = Unicode(
        "1000",
        help="""uid:gid (or uid) owning new folders, so the container's
        user (jovyan, 1000:100 in the Jupyter images) can write them.""",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        warn_moved_traits(self, "HubTypesDockerSpawner", DOCKER_TRAITS)


DOCKER_TRAITS = ("docker_host_root", "container_uid")

__all__ = ["HubTypesDockerSpawner"]
