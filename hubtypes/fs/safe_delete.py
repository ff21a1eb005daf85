"""Delete and archive a user's storage without ever following a symlink.

Homes are written by participants, who can put anything there: a symlink to
``/etc``, to another user's home or to the materials folder, a hard link, a
directory with mode 000, a name with a newline. Everything here works on
directory file descriptors (``openat`` with ``O_NOFOLLOW``), so:

* a symlink anywhere — in the path down from the root or inside the tree — is
  removed as a link (inside the tree) or refused (on the way down), never followed;
* nothing outside ``root`` is reached, and no other filesystem mounted inside
  the tree is entered;
* unreadable directories inside the tree are made accessible with ``fchmod`` on
  the already-opened descriptor, so a swapped-in symlink cannot redirect it;
* a missing target is success (deleting is idempotent and resumable).
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import stat
import tarfile
import time
from dataclasses import dataclass, field
from typing import Any

from hubtypes.storage.slugs import check_relative

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class UnsafePath(Exception):
    """The target could only be reached through a symlink or another filesystem."""


@dataclass
class DeleteReport:
    path: str
    existed: bool = False
    files: int = 0  # non-directories removed (files, links, fifos, ...)
    dirs: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class ArchiveReport:
    archive: str = ""
    manifest: str = ""
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)


def _open_dir(name: str, dir_fd: int | None) -> int:
    """Open a directory entry without following links, fixing its mode if we lack access."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        # an O_PATH descriptor needs no permission; chmod through /proc/self/fd
        # acts on exactly that inode, so a concurrent swap cannot redirect it
        pfd = os.open(name, _PATH_FLAGS, dir_fd=dir_fd)
        try:
            os.chmod(f"/proc/self/fd/{pfd}", 0o700)
            return os.open(".", DIR_FLAGS, dir_fd=pfd)
        finally:
            os.close(pfd)


def _open_parent(root: str, subpath: str) -> tuple[int, str, int]:
    """(descriptor of the target's parent, target's name, root's st_dev).

    Every component from ``root`` down is opened with ``O_NOFOLLOW``: a symlink on
    the way down (e.g. ``workshops`` replaced by a link) raises :class:`UnsafePath`.
    A missing component raises FileNotFoundError.
    """
    parts = check_relative(subpath).split("/")
    fd = os.open(root, DIR_FLAGS & ~os.O_NOFOLLOW)  # the configured root itself may be a link
    root_dev = os.fstat(fd).st_dev
    try:
        for part in parts[:-1]:
            try:
                nfd = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ELOOP, errno.ENOTDIR):  # a symlink or a file on the way
                    raise UnsafePath(f"{subpath}: {part} is not a plain directory") from e
                raise
            os.close(fd)
            fd = nfd
            if os.fstat(fd).st_dev != root_dev:
                raise UnsafePath(f"{subpath}: {part} is on another filesystem")
    except BaseException:
        os.close(fd)
        raise
    return fd, parts[-1], root_dev


def _ensure_writable(fd: int) -> None:
    # removing entries needs write+search on the directory itself
    mode = os.fstat(fd).st_mode
    if mode & 0o700 != 0o700:
        os.fchmod(fd, stat.S_IMODE(mode) | 0o700)


def _rmtree_fd(top_fd: int, root_dev: int, report: DeleteReport) -> None:
    """Empty the directory open as ``top_fd`` (which the caller closes)."""
    # an explicit stack instead of recursion: participants can nest very deeply
    stack: list[tuple[int, list[str], str]] = []
    _ensure_writable(top_fd)
    stack.append((top_fd, os.listdir(top_fd), ""))
    while stack:
        fd, names, _ = stack[-1]
        if not names:
            _, _, done_name = stack.pop()
            if stack:
                os.close(fd)
                try:
                    os.rmdir(done_name, dir_fd=stack[-1][0])
                    report.dirs += 1
                except OSError as e:
                    report.errors.append(f"rmdir {done_name!r}: {e.strerror}")
            continue
        name = names.pop()
        # unlink first: one syscall per file, never follows a link, and fails
        # with EISDIR only for a real directory, which we then descend into
        try:
            os.unlink(name, dir_fd=fd)
            report.files += 1
            continue
        except FileNotFoundError:
            continue
        except IsADirectoryError:
            pass
        except OSError as e:
            if e.errno != errno.EPERM:  # EPERM: some systems' answer for a directory
                report.errors.append(f"unlink {name!r}: {e.strerror}")
                continue
        try:
            child = _open_dir(name, fd)
        except FileNotFoundError:
            continue
        except OSError as e:
            # ELOOP/ENOTDIR: swapped for a link or file since; unlink that instead
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                names.append(name)
            else:
                report.errors.append(f"open {name!r}: {e.strerror}")
            continue
        if os.fstat(child).st_dev != root_dev:
            os.close(child)
            report.errors.append(f"{name!r} is a mount point of another filesystem: left alone")
            continue
        _ensure_writable(child)
        stack.append((child, os.listdir(child), name))


def safe_delete(root: str, subpath: str) -> DeleteReport:
    """Remove ``root/subpath`` (a directory tree, a file or a link) safely; see module doc."""
    report = DeleteReport(path=subpath)
    try:
        parent, name, root_dev = _open_parent(root, subpath)
    except FileNotFoundError:
        return report
    try:
        try:
            st = os.lstat(name, dir_fd=parent)
        except FileNotFoundError:
            return report
        report.existed = True
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(name, dir_fd=parent)
            report.files += 1
            return report
        if st.st_dev != root_dev:
            raise UnsafePath(f"{subpath} is on another filesystem")
        fd = _open_dir(name, parent)
        try:
            _rmtree_fd(fd, root_dev, report)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=parent)
        report.dirs += 1
    finally:
        os.close(parent)
    return report


class _HashingReader(io.RawIOBase):
    """Feeds tarfile from an fd while hashing what it reads, for the manifest."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = os.read(self.fd, len(buf))
        self.sha.update(data)
        buf[: len(data)] = data
        return len(data)


def _tarinfo(arcname: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(arcname)
    info.mode = stat.S_IMODE(st.st_mode)
    info.mtime = int(st.st_mtime)
    info.uid, info.gid = st.st_uid, st.st_gid
    return info


def archive_tree(
    root: str, subpath: str, dest_dir: str, name: str, compresslevel: int = 6
) -> ArchiveReport | None:
    """Write ``dest_dir/name.tar.gz`` and ``name.manifest.json`` of ``root/subpath``.

    Links are stored as links (their target text), never followed; special files
    are listed in the manifest but not stored. Returns None if there is nothing
    to archive. The archive is written under a temporary name and renamed, so a
    crash never leaves a half archive that looks complete.
    """
    try:
        parent, leaf, root_dev = _open_parent(root, subpath)
    except FileNotFoundError:
        return None
    try:
        try:
            top = _open_dir(leaf, parent)
        except (FileNotFoundError, NotADirectoryError):
            return None
    finally:
        os.close(parent)
    os.makedirs(dest_dir, mode=0o700, exist_ok=True)
    report = ArchiveReport(
        archive=os.path.join(dest_dir, f"{name}.tar.gz"),
        manifest=os.path.join(dest_dir, f"{name}.manifest.json"),
    )
    entries: list[dict[str, Any]] = []
    tmp = report.archive + ".partial"
    try:
        with tarfile.open(
            tmp, "w:gz", compresslevel=compresslevel, format=tarfile.PAX_FORMAT
        ) as tar:
            stack: list[tuple[int, str]] = [(top, leaf)]
            while stack:
                fd, prefix = stack.pop()
                try:
                    tar.addfile(_tarinfo_dir(prefix, os.fstat(fd)))
                    for entry in sorted(os.listdir(fd)):
                        arc = f"{prefix}/{entry}"
                        child = _archive_entry(tar, fd, entry, arc, root_dev, report, entries)
                        if child is not None:
                            stack.append((child, arc))
                finally:
                    os.close(fd)
        os.replace(tmp, report.archive)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    manifest = {
        "source": subpath,
        "archive": os.path.basename(report.archive),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": report.files,
        "bytes": report.bytes,
        "skipped": report.skipped,
        "entries": entries,
    }
    with open(report.manifest, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=True)
    return report


def _tarinfo_dir(arc: str, st: os.stat_result) -> tarfile.TarInfo:
    info = _tarinfo(arc, st)
    info.type = tarfile.DIRTYPE
    return info


def _archive_entry(
    tar: tarfile.TarFile,
    dir_fd: int,
    entry: str,
    arc: str,
    root_dev: int,
    report: ArchiveReport,
    entries: list[dict[str, Any]],
) -> int | None:
    """Add one entry; return an open fd if it is a directory to descend into."""
    try:
        st = os.lstat(entry, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        if st.st_dev != root_dev:
            report.skipped.append(f"{arc}: another filesystem")
            return None
        try:
            return _open_dir(entry, dir_fd)
        except OSError as e:
            report.skipped.append(f"{arc}: {e.strerror}")
            return None
    if stat.S_ISLNK(mode):
        info = _tarinfo(arc, st)
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(entry, dir_fd=dir_fd)
        tar.addfile(info)
        entries.append({"path": arc, "type": "link", "target": info.linkname})
        return None
    if not stat.S_ISREG(mode):
        report.skipped.append(f"{arc}: not a regular file")
        return None
    try:
        fd = os.open(entry, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as e:
        report.skipped.append(f"{arc}: {e.strerror}")
        return None
    try:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):  # swapped since lstat
            report.skipped.append(f"{arc}: changed while archiving")
            return None
        info = _tarinfo(arc, fst)
        info.size = fst.st_size
        reader = _HashingReader(fd)
        tar.addfile(info, io.BufferedReader(reader, buffer_size=1 << 20))
        report.files += 1
        report.bytes += fst.st_size
        entries.append(
            {"path": arc, "type": "file", "size": fst.st_size, "sha256": reader.sha.hexdigest()}
        )
    finally:
        os.close(fd)
    return None


__all__ = ["ArchiveReport", "DeleteReport", "UnsafePath", "archive_tree", "safe_delete"]
