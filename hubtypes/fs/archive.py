"""Archive a home before it is deleted: bounded, never following a link, by what is on disk.

A home is written by its participant, so its content is hostile input:

* links are stored as links (their target text), never followed; nothing outside the
  root is reached (the walk uses :mod:`.safe_delete`'s ``O_NOFOLLOW`` descriptors), and
  no other filesystem mounted inside the home is entered;
* special files (fifos, sockets, devices) are never opened (a fifo would block a reader
  forever): they are listed in the manifest's ``skipped``;
* a sparse file is stored by its data regions (``SEEK_DATA``/``SEEK_HOLE``) in GNU tar's
  sparse format 1.0, which GNU tar and Python's :mod:`tarfile` extract to the original
  file: a 3 GiB file with nothing on disk costs nothing, where reading it would read and
  compress 3 GiB of zeros;
* :class:`ArchiveLimits` bound one home's archive (data bytes, files, seconds). When one
  is reached the archive stops there, is closed as a valid ``.tar.gz``, and the manifest
  says which limit and that it is incomplete; the caller audits that.

The archive is written under a temporary name and renamed, so a crash never leaves a
half archive that looks complete.
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from hubtypes.fs.safe_delete import FILE_FLAGS, open_dir, open_parent

_SPECIAL = {
    stat.S_IFIFO: "a fifo",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


@dataclass(frozen=True)
class ArchiveLimits:
    """Per-home bounds; 0 means no bound."""

    max_bytes: int = 0  # file data stored (what is on disk, not apparent sizes)
    max_files: int = 0  # files and links stored
    max_seconds: float = 0.0  # checked before each entry


@dataclass
class ArchiveReport:
    archive: str = ""
    manifest: str = ""
    files: int = 0
    bytes: int = 0  # file data stored
    sparse: int = 0  # sparse files stored by their data regions
    skipped: list[str] = field(default_factory=list)
    limit: str = ""  # which limit stopped the archive, and where; "" if complete

    @property
    def complete(self) -> bool:
        return not self.limit


class _LimitReached(Exception):
    pass


class _Reader(io.RawIOBase):
    """Feeds tarfile ``prefix`` and then ``segments`` of ``fd``, hashing the file data."""

    def __init__(self, fd: int, segments: list[tuple[int, int]], prefix: bytes = b"") -> None:
        self.fd = fd
        self.pending = list(reversed(segments))
        self.prefix = prefix
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self.prefix:
            n = min(len(buf), len(self.prefix))
            buf[:n], self.prefix = self.prefix[:n], self.prefix[n:]
            return n
        while self.pending:
            offset, length = self.pending[-1]
            if length == 0:
                self.pending.pop()
                continue
            data = os.pread(self.fd, min(len(buf), length), offset)
            if not data:  # truncated since: tarfile reports the short read
                return 0
            self.pending[-1] = (offset + len(data), length - len(data))
            self.sha.update(data)
            buf[: len(data)] = data
            return len(data)
        return 0


def data_segments(fd: int, size: int) -> list[tuple[int, int]]:
    """(offset, length) of the regions of the file that hold data; holes are skipped."""
    segments: list[tuple[int, int]] = []
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:  # nothing but a hole from pos to the end
                break
            if e.errno == errno.EINVAL and not segments:  # no SEEK_DATA here: all of it
                return [(0, size)]
            raise
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if end > start:
            segments.append((start, end - start))
        pos = max(end, start + 1)
    return segments


def _sparse_map(segments: list[tuple[int, int]]) -> bytes:
    """The data block that starts a GNU sparse 1.0 member, padded to 512 bytes."""
    raw = (f"{len(segments)}\n" + "".join(f"{o}\n{n}\n" for o, n in segments)).encode()
    return raw + b"\0" * (-len(raw) % tarfile.BLOCKSIZE)


def _tarinfo(arcname: str, st: os.stat_result) -> tarfile.TarInfo:
    info = tarfile.TarInfo(arcname)
    info.mode = stat.S_IMODE(st.st_mode)
    info.mtime = int(st.st_mtime)
    info.uid, info.gid = st.st_uid, st.st_gid
    return info


class _Archiver:
    def __init__(
        self, tar: tarfile.TarFile, home_dev: int, limits: ArchiveLimits, clock: Callable[[], float]
    ) -> None:
        self.tar, self.home_dev, self.limits, self.clock = tar, home_dev, limits, clock
        self.started = clock()
        self.report = ArchiveReport()
        self.entries: list[dict[str, Any]] = []

    def check(self) -> None:
        limits, report = self.limits, self.report
        if limits.max_files and report.files >= limits.max_files:
            raise _LimitReached(f"files: {report.files} stored (the limit is {limits.max_files})")
        if limits.max_seconds and self.clock() - self.started >= limits.max_seconds:
            raise _LimitReached(f"time: stopped after {limits.max_seconds:g} s")

    def entry(self, dir_fd: int, entry: str, arc: str) -> int | None:
        """Add one entry; return an open fd if it is a directory to descend into."""
        self.check()
        try:
            st = os.lstat(entry, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            if st.st_dev != self.home_dev:
                self.report.skipped.append(f"{arc}: another filesystem")
                return None
            try:
                return open_dir(entry, dir_fd)
            except OSError as e:
                self.report.skipped.append(f"{arc}: {e.strerror}")
                return None
        if stat.S_ISLNK(mode):
            info = _tarinfo(arc, st)
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(entry, dir_fd=dir_fd)
            self.tar.addfile(info)
            self.report.files += 1
            self.entries.append({"path": arc, "type": "link", "target": info.linkname})
            return None
        if not stat.S_ISREG(mode):
            kind = _SPECIAL.get(stat.S_IFMT(mode), "not a regular file")
            self.report.skipped.append(f"{arc}: {kind}, not archived")
            return None
        try:
            fd = os.open(entry, FILE_FLAGS, dir_fd=dir_fd)
        except OSError as e:
            self.report.skipped.append(f"{arc}: {e.strerror}")
            return None
        try:
            self.regular(fd, arc)
        finally:
            os.close(fd)
        return None

    def regular(self, fd: int, arc: str) -> None:
        fst = os.fstat(fd)
        if not stat.S_ISREG(fst.st_mode):  # swapped since lstat
            self.report.skipped.append(f"{arc}: changed while archiving")
            return
        size = fst.st_size
        sparse = size > 0 and fst.st_blocks * 512 < size
        segments = data_segments(fd, size) if sparse else [(0, size)]
        data = sum(n for _, n in segments)
        limits, report = self.limits, self.report
        if limits.max_bytes and report.bytes + data > limits.max_bytes:
            raise _LimitReached(
                f"bytes: {arc} ({data} bytes on disk) would pass {limits.max_bytes} bytes"
            )
        record: dict[str, Any] = {"path": arc, "type": "file", "size": size}
        if sparse:
            head, _, leaf = arc.rpartition("/")
            stored_name = f"{head}/GNUSparseFile.0/{leaf}" if head else f"GNUSparseFile.0/{leaf}"
            prefix = _sparse_map(segments)
            info = _tarinfo(stored_name, fst)
            info.size = len(prefix) + data
            # "path" first: tarfile applies these in order and GNU.sparse.name must win
            info.pax_headers = {
                "path": stored_name,
                "GNU.sparse.major": "1",
                "GNU.sparse.minor": "0",
                "GNU.sparse.name": arc,
                "GNU.sparse.realsize": str(size),
            }
            reader = _Reader(fd, segments, prefix)
            report.sparse += 1
            record.update(sparse=True, on_disk=data)
        else:
            info = _tarinfo(arc, fst)
            info.size = size
            reader = _Reader(fd, segments)
        self.tar.addfile(info, io.BufferedReader(reader, buffer_size=1 << 20))
        report.files += 1
        report.bytes += data
        record["sha256_data" if sparse else "sha256"] = reader.sha.hexdigest()
        self.entries.append(record)


def archive_tree(
    root: str,
    subpath: str,
    dest_dir: str,
    name: str,
    compresslevel: int = 6,
    *,
    limits: ArchiveLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ArchiveReport | None:
    """Write ``dest_dir/name.tar.gz`` and ``name.manifest.json`` of ``root/subpath``.

    Returns None if there is nothing to archive. See the module docstring for links,
    special and sparse files, and limits.
    """
    limits = limits or ArchiveLimits()
    try:
        parent, leaf, _root_dev = open_parent(root, subpath)
    except FileNotFoundError:
        return None
    try:
        try:
            top = open_dir(leaf, parent)
        except (FileNotFoundError, NotADirectoryError):
            return None
    finally:
        os.close(parent)
    # the walk stays on the home's own filesystem, skipping any other mounted inside it:
    # the home itself may be a mount point (a PVC in the cleanup pod, under /storage)
    home_dev = os.fstat(top).st_dev
    archive = os.path.join(dest_dir, f"{name}.tar.gz")
    tmp = archive + ".partial"
    stack: list[tuple[int, str]] = [(top, leaf)]
    try:
        os.makedirs(dest_dir, mode=0o700, exist_ok=True)
        with tarfile.open(
            tmp, "w:gz", compresslevel=compresslevel, format=tarfile.PAX_FORMAT
        ) as tar:
            work = _Archiver(tar, home_dev, limits, clock)
            try:
                while stack:
                    fd, prefix = stack.pop()
                    try:
                        dir_info = _tarinfo(prefix, os.fstat(fd))
                        dir_info.type = tarfile.DIRTYPE
                        tar.addfile(dir_info)
                        for entry in sorted(os.listdir(fd)):
                            child = work.entry(fd, entry, f"{prefix}/{entry}")
                            if child is not None:
                                stack.append((child, f"{prefix}/{entry}"))
                    finally:
                        os.close(fd)
            except _LimitReached as e:
                work.report.limit = str(e)
        os.replace(tmp, archive)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        for fd, _ in stack:
            os.close(fd)
    report = work.report
    report.archive = archive
    report.manifest = os.path.join(dest_dir, f"{name}.manifest.json")
    manifest = {
        "source": subpath,
        "archive": os.path.basename(archive),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "complete": report.complete,
        "limit": report.limit,
        "limits": asdict(limits),
        "files": report.files,
        "bytes": report.bytes,
        "sparse_files": report.sparse,
        "skipped": report.skipped,
        "entries": work.entries,
    }
    with open(report.manifest, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=True)
    return report


__all__ = ["ArchiveLimits", "ArchiveReport", "archive_tree", "data_segments"]
