"""Delete a user's storage without ever following a symlink (archives: :mod:`.archive`).

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
import os
import stat
from dataclasses import dataclass, field

from hubtypes.storage.slugs import check_relative

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class UnsafePath(Exception):
    """The target could only be reached through a symlink or another filesystem."""


@dataclass
class DeleteReport:
    path: str
    existed: bool = False
    files: int = 0  # non-directories removed (files, links, fifos, ...)
    dirs: int = 0
    errors: list[str] = field(default_factory=list)


def open_dir(name: str, dir_fd: int | None) -> int:
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


def open_parent(root: str, subpath: str) -> tuple[int, str, int]:
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
            child = open_dir(name, fd)
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
        parent, name, root_dev = open_parent(root, subpath)
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
        fd = open_dir(name, parent)
        try:
            _rmtree_fd(fd, root_dev, report)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=parent)
        report.dirs += 1
    finally:
        os.close(parent)
    return report


__all__ = ["DeleteReport", "UnsafePath", "safe_delete"]
