"""Docker: the abstract mounts as DockerSpawner ``volumes`` and ``read_only_volumes``.

Each mount is a bind of ``{docker_host_root}/{subpath}`` at its target in the
container; read-only mounts go to ``read_only_volumes`` (mode ``ro``, enforced by
the kernel for everyone in the container, root included). The hub creates the
folders under ``storage_root`` (its view of the same directory) owned by the
container user, and deletes/archives them there, exactly like the local backend.
The operator's own volumes are kept; one mounted at the same container path as
ours is displaced.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
from typing import Any

from hubtypes.spawner.notice import place_dates_notice
from hubtypes.spawner.storage.archiving import remove_home_in_pool
from hubtypes.spawner.storage.base import StorageBackend
from hubtypes.spawner.storage.local import DirSpec, Owner, ensure_dir
from hubtypes.storage.hub_types import HubType, Resolution, StorageAction
from hubtypes.storage.mounts import Mount
from hubtypes.storage.slugs import safe_join


def _target(value: Any) -> str:
    return str(value["bind"] if isinstance(value, dict) else value)


def docker_volumes(
    mounts: tuple[Mount, ...],
    host_root: str,
    volumes: dict[str, Any],
    read_only_volumes: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(volumes, read_only_volumes) with the mounts merged in; pure."""
    ours = {m.target for m in mounts}
    rw = {k: v for k, v in volumes.items() if _target(v) not in ours}
    ro = {k: v for k, v in read_only_volumes.items() if _target(v) not in ours}
    for m in mounts:
        host = posixpath.join(host_root, m.subpath)
        if m.read_only:
            ro[host] = m.target
        else:
            rw[host] = {"bind": m.target, "mode": "rw"}
    return rw, ro


def _owner(spec: str) -> Owner:
    uid, _, gid = spec.partition(":")
    return Owner(int(uid), int(gid or 100))


def prepare_docker_dirs(
    root: str, res: Resolution, mounts: tuple[Mount, ...], owner: Owner
) -> None:
    """Folders owned by the container user; materials writable only where mounted rw."""
    if res.hub_type == HubType.workshop:
        ws = mounts[0].subpath.rsplit("/", 1)[0]
        ensure_dir(root, DirSpec(ws, Owner(os.getuid(), os.getgid()), 0o711))
    for m in mounts:
        mode = {"home": 0o700, "materials": 0o2775, "shared": 0o2775}[m.kind]
        ensure_dir(root, DirSpec(m.subpath, owner, mode))


class DockerStorage(StorageBackend):
    """For DockerSpawner (:class:`hubtypes.spawner.docker.HubTypesDockerSpawner`)."""

    async def prepare(self, spawner: Any, res: Resolution, mounts: tuple[Mount, ...]) -> None:
        if os.path.isdir(spawner.storage_root) or not spawner.docker_host_root:
            await asyncio.to_thread(
                prepare_docker_dirs,
                spawner.storage_root,
                res,
                mounts,
                _owner(spawner.container_uid),
            )
            home = safe_join(spawner.storage_root, mounts[0].subpath)
            await place_dates_notice(spawner, res, home)
        host_root = spawner.docker_host_root or spawner.storage_root
        spawner.volumes, spawner.read_only_volumes = docker_volumes(
            mounts, host_root, dict(spawner.volumes), dict(spawner.read_only_volumes)
        )
        spawner.notebook_dir = spawner.hubtypes_server_root(mounts[0].target)

    async def remove_home(
        self, spawner: Any, stored: dict[str, str], action: StorageAction
    ) -> None:
        # in the storage pool, never the default executor logins use (see .archiving)
        await remove_home_in_pool(spawner, stored, action)


__all__ = ["DockerStorage", "docker_volumes", "prepare_docker_dirs"]
