"""Abstract mounts: which folders a user's server gets, as paths relative to one root.

Every backend (local directories, Docker volumes, Kubernetes PVCs or subPaths)
starts from the same tuple of :class:`Mount`; only the translation differs.
The layout under the storage root::

    community/{user}              a community member's home
    binder/{user}                 a binder visitor's home (gone when the server stops)
    workshops/{ws}/{user}         a workshop participant's or instructor's home
    workshops/{ws}/_materials     read-only for participants, writable for instructors
    workshops/{ws}/_shared        read-write for everyone in the workshop

``{user}`` and ``{ws}`` are :func:`hubtypes.storage.slugs.safe_slug` outputs, which never
start with ``_``, so the reserved ``_materials``/``_shared`` cannot be anyone's
home, and a workshop reset is one subtree: ``workshops/{ws}``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from hubtypes.storage.hub_types import HubType, Resolution, StorageAction
from hubtypes.storage.slugs import check_relative

MATERIALS = "_materials"
SHARED = "_shared"


@dataclass(frozen=True)
class Layout:
    """Where mounts appear inside a container or pod (ignored by local spawners)."""

    home_path: str = "/home/jovyan"
    materials_name: str = "materials"  # folder name inside the home
    shared_name: str = "shared"


@dataclass(frozen=True)
class Mount:
    kind: str  # "home" | "materials" | "shared"
    subpath: str  # relative to the storage root, made of slugs
    target: str  # absolute path inside the container or pod
    read_only: bool
    # the home lives only as long as the server (binder): backends may use scratch space
    ephemeral: bool = False

    @property
    def link_name(self) -> str:
        """The name of this folder inside the home (for local symlinks)."""
        return posixpath.basename(self.target)


def workshop_subpath(workshop_dir: str) -> str:
    return check_relative(f"workshops/{workshop_dir}")


def home_subpath(res: Resolution) -> str:
    """The user's home, relative to the storage root."""
    if res.hub_type == HubType.workshop:
        return check_relative(f"{workshop_subpath(res.workshop_dir)}/{res.user_dir}")
    return check_relative(f"{res.hub_type.value}/{res.user_dir}")


def plan_mounts(res: Resolution, layout: Layout | None = None) -> tuple[Mount, ...]:
    """The user's mounts: home first, then materials and shared if the policy has them."""
    layout = layout or Layout()
    home = Mount(
        kind="home",
        subpath=home_subpath(res),
        target=layout.home_path,
        read_only=False,
        ephemeral=res.policy.on_stop == StorageAction.delete,
    )
    mounts = [home]
    if res.hub_type == HubType.workshop:
        ws = workshop_subpath(res.workshop_dir)
        if res.policy.materials:
            mounts.append(
                Mount(
                    kind="materials",
                    subpath=f"{ws}/{MATERIALS}",
                    target=posixpath.join(layout.home_path, layout.materials_name),
                    read_only=res.role != "instructor",
                )
            )
        if res.policy.shared:
            mounts.append(
                Mount(
                    kind="shared",
                    subpath=f"{ws}/{SHARED}",
                    target=posixpath.join(layout.home_path, layout.shared_name),
                    read_only=False,
                )
            )
    return tuple(mounts)


def progress_messages(res: Resolution, mounts: tuple[Mount, ...]) -> list[tuple[int, str]]:
    """Spawn-page messages for the storage steps, before the spawner's own."""
    ws = res.workshop
    if res.hub_type == HubType.workshop and ws is not None:
        home = f"Preparing your home for workshop {ws.title or ws.slug}"
    elif res.hub_type == HubType.binder:
        home = "Preparing a temporary home (it is deleted when your server stops)"
    else:
        home = "Preparing your home"
    messages = [(5, home)]
    for m in mounts[1:]:
        if m.kind == "materials":
            how = "read-only" if m.read_only else "writable: you are an instructor"
            messages.append((10, f"Mounting workshop materials ({how})"))
        elif m.kind == "shared":
            messages.append((15, "Mounting the workshop's shared folder (read-write)"))
    return messages


__all__ = [
    "MATERIALS",
    "progress_messages",
    "SHARED",
    "Layout",
    "Mount",
    "home_subpath",
    "plan_mounts",
]
