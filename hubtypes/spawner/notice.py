"""The participant's dates inside JupyterLab: a file the spawner places in the workshop home.

Each time a workshop user's server starts, ``WORKSHOP-DATES.md`` is (re)written at the top
of their home: when their access ends, when their files are deleted, and how to download
them first (jupyter-archive's "Download as an Archive"). A file needs nothing in the
single-user image and no JavaScript build: JupyterLab shows it in the file browser and
renders it as Markdown. It is written where the hub can reach the home on its own
filesystem — the local spawners, and DockerSpawner when ``storage_root`` is the host folder
itself; on Kubernetes the home is a volume only the pod mounts, so no file is placed there
(the hub's pages show the dates all the same).

Written without following links: a temporary file created beside it (``O_EXCL``,
``O_NOFOLLOW``) is renamed over the old one, so a participant's symlink or hard link named
``WORKSHOP-DATES.md`` is replaced, never written through.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from hubtypes.access.dates import DATES_FILE, Dates, credential_dates, dates_markdown
from hubtypes.fs.safe_delete import DIR_FLAGS
from hubtypes.storage.hub_types import HubType, Resolution

_TMP = f".{DATES_FILE}.hubtypes-tmp"


def resolution_dates(res: Resolution) -> Dates | None:
    """The dates of a workshop user being spawned (None: not a workshop user, or staff
    with no end of their own)."""
    ws = res.workshop
    if res.hub_type is not HubType.workshop or ws is None:
        return None
    ends, deleted = credential_dates(res.role or "participant", res.locks_at, ws)
    dates = Dates(title=ws.title or ws.slug, ends=ends, deleted_after=deleted)
    return None if dates.empty else dates


def write_notice(home: str, text: str) -> None:
    """Replace ``home/WORKSHOP-DATES.md`` with ``text``, following no link."""
    dir_fd = os.open(home, DIR_FLAGS)
    try:
        try:
            os.unlink(_TMP, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(_TMP, flags, 0o644, dir_fd=dir_fd)
        try:
            os.write(fd, text.encode())
            owner = os.fstat(dir_fd)
            if os.geteuid() == 0:  # the home's owner may edit or delete it like their own
                os.fchown(fd, owner.st_uid, owner.st_gid)
        finally:
            os.close(fd)
        os.rename(_TMP, DATES_FILE, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


async def place_dates_notice(spawner: Any, res: Resolution, home: str) -> None:
    """Write the notice into ``home`` (an absolute path on the hub's filesystem)."""
    dates = resolution_dates(res)
    if dates is None:
        return
    text = dates_markdown(dates, spawner.hubtypes_clock())
    try:
        await asyncio.to_thread(write_notice, home, text)
    except OSError as e:  # the server starts without it; the hub's pages have the dates
        spawner.log.warning(f"hubtypes: cannot place {DATES_FILE} for {res.username}: {e}")


__all__ = ["place_dates_notice", "resolution_dates", "write_notice"]
