"""Abstract mounts: which folders a user's server gets, as paths relative to one root.

Every backend (local directories, Docker volumes, Kubernetes PVCs or subPaths)
starts from the same tuple of :class:`Mount`; only the translation differs.
The layout under the storage root::

    community/{user}              a community member's home
    binder/{user}/{server}        a binder visitor's home per server (gone when it stops)
    community/{user}/{server}     a home per server, when an operator's ``on_stop: delete``
                                  makes community homes go when the server stops
    workshops/{ws}/{user}         a workshop participant's or instructor's home
    workshops/{ws}/_materials     read-only for participants, writable for instructors
    workshops/{ws}/_shared        read-write for everyone in the workshop

``{user}`` and ``{ws}`` are :func:`hubtypes.storage.slugs.safe_slug` outputs, which never
start with ``_``, so the reserved ``_materials``/``_shared`` cannot be anyone's
home, and a workshop reset is one subtree: ``workshops/{ws}``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from hubtypes.storage.hub_types import HubType, Resolution, StorageAction
from hubtypes.storage.slugs import check_relative, safe_slug

MATERIALS = "_materials"
SHARED = "_shared"
DEFAULT_SERVER_DIR = "_default"  # the default server's own home (safe_slug never starts with _)


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


def server_dir(server_name: str) -> str:
    """The folder of one server inside a home per server: its slug, ``_default`` for the
    default server."""
    return safe_slug(server_name) if server_name else DEFAULT_SERVER_DIR


def home_per_server(res: Resolution) -> bool:
    """Whether each of the user's servers gets a home of its own.

    A binder home, and every home deleted when its server stops (``on_stop: delete``, an
    operator's override included): a deletion at one server's stop then never touches a
    folder another server of the same user is using. Homes that persist stay one per user.
    """
    return res.hub_type == HubType.binder or res.policy.on_stop == StorageAction.delete


def _user_home(hub_type: str, workshop_dir: str, user_dir: str) -> str:
    if hub_type == HubType.workshop.value:
        return f"{workshop_subpath(workshop_dir)}/{user_dir}"
    return f"{hub_type}/{user_dir}"


def home_subpath(res: Resolution, server_name: str = "") -> str:
    """The home of one of the user's servers, relative to the storage root.

    One per user (``community/{user}``, ``workshops/{ws}/{user}``), shared by the user's
    servers, unless :func:`home_per_server`: then ``{that}/{server}`` (``binder/{user}/{server}``,
    the default server ``_default``), so stopping one never deletes another's files.
    """
    home = _user_home(res.hub_type.value, res.workshop_dir, res.user_dir)
    if home_per_server(res):
        home = f"{home}/{server_dir(server_name)}"
    return check_relative(home)


def own_home(stored: Mapping[str, str], server_name: str) -> str | None:
    """The home that is ``server_name``'s alone, from a stored ``hubtypes`` state
    (``{"type", "home", "workshop", "user"}``): ``{user's home}/{server}``, or None when
    the state cannot name one. Only this path may go when that one server stops."""
    try:
        base = _user_home(stored["type"], stored.get("workshop", ""), stored["user"])
        return check_relative(f"{base}/{server_dir(server_name)}")
    except (KeyError, ValueError):
        return None


def upgraded_state(stored: Mapping[str, str], server_name: str) -> dict[str, str]:
    """A stored ``hubtypes`` state as this version writes it, for ``server_name``.

    Before homes per binder server, every binder server of a user ran in one
    ``binder/{user}``. Such a state names this server's own home instead (see the caller
    for why); every other state is returned as it is.
    """
    result = dict(stored)
    user = result.get("user", "")
    if (
        user
        and result.get("type") == HubType.binder.value
        and result.get("home") == f"binder/{user}"
    ):
        home = own_home(result, server_name)
        if home is not None:
            result["home"] = home
    return result


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
    elif mounts and mounts[0].ephemeral:
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
    "home_per_server",
    "home_subpath",
    "own_home",
    "plan_mounts",
    "server_dir",
    "server_root",
    "upgraded_state",
]
