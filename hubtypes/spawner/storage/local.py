"""Local storage: directories under ``storage_root`` with the right owners and modes.

Two situations:

* **SimpleLocalProcessSpawner**: every server runs as the hub's own user, so
  permissions cannot tell participants from instructors. Directories belong to
  the hub user; materials are read-only through the Jupyter contents API only
  (see :mod:`.contents`).
* **LocalProcessSpawner** with system users: the OS enforces it. Each workshop
  has two system groups (members, instructors); the workshop directory is
  ``root:members 0710`` (outsiders cannot enter), homes ``user 0700``, materials
  ``root:instructors 2775`` (members read, instructors write), shared
  ``root:members 2770``.

Materials and shared appear in the home as relative symlinks
(``materials -> ../_materials``); deleting a home removes the links, never the
folders (the safe delete never follows links).
"""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import subprocess
from dataclasses import dataclass
from typing import Any

from hubtypes.fs.safe_delete import DIR_FLAGS
from hubtypes.spawner.notice import place_dates_notice
from hubtypes.spawner.storage.archiving import remove_home_in_pool
from hubtypes.spawner.storage.base import StorageBackend
from hubtypes.storage.hub_types import HubType, Resolution, StorageAction
from hubtypes.storage.mounts import Mount
from hubtypes.storage.slugs import check_relative, group_name, safe_join

OWNER_MARKER = ".hubtypes-owner"


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class DirSpec:
    subpath: str
    owner: Owner
    mode: int


def ensure_dir(root: str, spec: DirSpec) -> None:
    """Create ``root/subpath`` component by component without following links; on
    creation set owner and mode, and always re-assert the owner."""
    parts = check_relative(spec.subpath).split("/")
    os.makedirs(root, mode=0o711, exist_ok=True)
    fd = os.open(root, DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            created = False
            try:
                os.mkdir(part, 0o700, dir_fd=fd)
                created = True
            except FileExistsError:
                pass
            nfd = os.open(part, DIR_FLAGS, dir_fd=fd)  # ELOOP if someone planted a link
            os.close(fd)
            fd = nfd
            if last:
                os.fchown(fd, spec.owner.uid, spec.owner.gid)
                if created or spec.mode & 0o2000:
                    os.fchmod(fd, spec.mode)
            elif created:
                os.fchmod(fd, 0o711)  # intermediate folders: traversable, not listable
    finally:
        os.close(fd)


def _claim_home(home: str, username: str, owner: Owner, links: dict[str, str]) -> None:
    """Record the owner (refusing someone else's home) and create the folder links."""
    fd = os.open(home, DIR_FLAGS)
    try:
        try:
            mfd = os.open(OWNER_MARKER, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
            with os.fdopen(mfd, encoding="utf-8") as f:
                recorded = f.read()
            if recorded != username:
                raise RuntimeError(
                    f"{home} belongs to {recorded!r}, not {username!r}: refusing to share it"
                )
        except FileNotFoundError:
            mfd = os.open(OWNER_MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444, dir_fd=fd)
            with os.fdopen(mfd, "w", encoding="utf-8") as f:
                f.write(username)
        for name, target in links.items():
            try:
                os.symlink(target, name, dir_fd=fd)
                os.chown(name, owner.uid, owner.gid, dir_fd=fd, follow_symlinks=False)
            except FileExistsError:
                pass  # the user's own file or folder of that name wins; never overwrite
    finally:
        os.close(fd)


def _ensure_group(name: str, members: list[str]) -> int:
    try:
        group = grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", "-f", name], check=True, capture_output=True)
        group = grp.getgrnam(name)
    for user in members:
        if user not in group.gr_mem:
            subprocess.run(["usermod", "-aG", name, user], check=True, capture_output=True)
    return group.gr_gid


def plan_dirs(
    res: Resolution, mounts: tuple[Mount, ...], hub: Owner, user: Owner, groups: dict[str, int]
) -> list[DirSpec]:
    """Directories to ensure, in order. ``groups`` maps "m"/"i" to gids (system users)."""
    specs: list[DirSpec] = []
    if res.hub_type == HubType.workshop:
        ws = mounts[0].subpath.rsplit("/", 1)[0]
        members = Owner(hub.uid, groups.get("m", hub.gid))
        specs.append(DirSpec(ws, members, 0o710 if groups else 0o711))
    for m in mounts:
        if m.kind == "home":
            specs.append(DirSpec(m.subpath, user, 0o700))
        elif m.kind == "materials":
            specs.append(DirSpec(m.subpath, Owner(hub.uid, groups.get("i", hub.gid)), 0o2775))
        elif m.kind == "shared":
            mode = 0o2770 if groups else 0o2775
            specs.append(DirSpec(m.subpath, Owner(hub.uid, groups.get("m", hub.gid)), mode))
    return specs


def prepare_local(
    root: str,
    res: Resolution,
    mounts: tuple[Mount, ...],
    *,
    system_users: bool,
    system_user: str = "",
) -> str:
    """Create the user's folders; returns the absolute home path.

    ``system_user``: the system account the server runs as, when it is not named like
    the hub user (TLJH runs ``alice`` as ``jupyter-alice``, see
    :mod:`hubtypes.spawner.tljh`); it owns the home and joins the workshop's groups.
    """
    hub = Owner(os.getuid(), os.getgid())
    user, groups = hub, {}
    if system_users:
        account = system_user or res.username
        pw = pwd.getpwnam(account)
        user = Owner(pw.pw_uid, pw.pw_gid)
        if res.hub_type == HubType.workshop:
            groups["m"] = _ensure_group(group_name(res.workshop_dir, "m"), [account])
            instructors = [account] if res.role == "instructor" else []
            groups["i"] = _ensure_group(group_name(res.workshop_dir, "i"), instructors)
    for spec in plan_dirs(res, mounts, hub, user, groups):
        ensure_dir(root, spec)
    home = safe_join(root, mounts[0].subpath)
    links = {m.link_name: f"../{m.subpath.rsplit('/', 1)[1]}" for m in mounts[1:]}
    _claim_home(home, res.username, user, links)
    return home


class LocalStorage(StorageBackend):
    """For LocalProcessSpawner (``system_users``: servers run as the users' own accounts)
    and SimpleLocalProcessSpawner (every server runs as the hub's user)."""

    def __init__(self, *, system_users: bool) -> None:
        self.system_users = system_users

    async def prepare(self, spawner: Any, res: Resolution, mounts: tuple[Mount, ...]) -> None:
        home = await asyncio.to_thread(
            prepare_local, spawner.storage_root, res, mounts, system_users=self.system_users
        )
        spawner.notebook_dir = spawner.hubtypes_server_root(home)
        if not self.system_users:
            spawner.home_dir = home  # SimpleLocalProcessSpawner's preexec chdirs into it
        await place_dates_notice(spawner, res, home)

    def _home(self, spawner: Any, mounts: tuple[Mount, ...]) -> str:
        return safe_join(spawner.storage_root, mounts[0].subpath)

    def environment(self, spawner: Any, mounts: tuple[Mount, ...]) -> dict[str, str]:
        return {"HOME": self._home(spawner, mounts)}

    def extra_args(self, spawner: Any, mounts: tuple[Mount, ...]) -> list[str]:
        read_only = [m.link_name for m in mounts[1:] if m.read_only]
        if not spawner.read_only_contents_guard or not read_only:
            return []
        guard = "hubtypes.spawner.contents.GuardedContentsManager"
        args = [f"--ServerApp.contents_manager_class={guard}"]
        args += [f"--GuardedContentsManager.read_only_dirs={name}" for name in read_only]
        return args

    async def remove_home(
        self, spawner: Any, stored: dict[str, str], action: StorageAction
    ) -> None:
        # in the storage pool, never the default executor logins use (see .archiving)
        await remove_home_in_pool(spawner, stored, action)


__all__ = ["DirSpec", "LocalStorage", "Owner", "ensure_dir", "plan_dirs", "prepare_local"]
