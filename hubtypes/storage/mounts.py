"""Abstract mounts: which folders a user's server gets, as paths relative to one root.

Every backend (local directories, Docker volumes, Kubernetes PVCs or subPaths)
starts from the same tuple of :class:`Mount`; only the translation differs.
The layout under the storage root::

    community/{user}              a community member's home
    binder/{user}/{server}        a binder visitor's home per server (gone when it stops)
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
from hubtypes.storage.slugs import check_relative, safe_slug

MATERIALS = "_materials"
SHARED = "_shared"
DEFAULT_SERVER_DIR = "_default"  # a binder user's default server (safe_slug never starts with _)


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


def home_subpath(res: Resolution, server_name: str = "") -> str:
    """The home of one of the user's servers, relative to the storage root.

    Community and workshop servers of one user share one home. A binder home lives one
    session, so each binder server gets its own (``binder/{user}/{server}``, the default
    server ``_default``): stopping one never deletes the files another is using.
    """
    if res.hub_type == HubType.workshop:
        return check_relative(f"{workshop_subpath(res.workshop_dir)}/{res.user_dir}")
    if res.hub_type == HubType.binder:
        server_dir = safe_slug(server_name) if server_name else DEFAULT_SERVER_DIR
        return check_relative(f"binder/{res.user_dir}/{server_dir}")
    return check_relative(f"{res.hub_type.value}/{res.user_dir}")


def server_root(notebook_dir: str, home: str) -> str:
    """Where a single-user server starts: the operator's or user's ``notebook_dir``, in the home.

    hubtypes decides the home; ``notebook_dir`` (config, a profile, ``user_options``) decides
    where in it the server starts. Empty: the home itself. Relative: inside the home, and
    never above it (ValueError). Absolute, or starting with ``~`` (the home, as the server
    sees ``$HOME``): left as the operator wrote it.
    """
    if not notebook_dir:
        return home
    if notebook_dir.startswith(("/", "~")):
        return notebook_dir
    joined = posixpath.normpath(posixpath.join(home, notebook_dir))
    if joined != home and not joined.startswith(home.rstrip("/") + "/"):
        raise ValueError(f"notebook_dir {notebook_dir!r} leads out of the home {home!r}")
    return joined


def plan_mounts(
    res: Resolution, layout: Layout | None = None, server_name: str = ""
) -> tuple[Mount, ...]:
    """A server's mounts: home first, then materials and shared if the policy has them."""
    layout = layout or Layout()
    home = Mount(
        kind="home",
        subpath=home_subpath(res, server_name),
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
    "server_root",
]
