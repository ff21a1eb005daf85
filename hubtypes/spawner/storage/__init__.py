"""Storage backends: where a hub type's homes, materials and shared folders live."""

from __future__ import annotations

from hubtypes.spawner.storage.base import StorageBackend
from hubtypes.spawner.storage.local import LocalStorage


def named_backend(name: str) -> StorageBackend:
    """The storage backend a spawner's `backend` setting names (imported only when named:
    kubespawner and dockerspawner are optional)."""
    if name == "kube":
        from hubtypes.spawner.storage.kube import KubeStorage

        return KubeStorage()
    if name == "docker":
        from hubtypes.spawner.storage.docker import DockerStorage

        return DockerStorage()
    return LocalStorage(system_users=name == "system-users")
