"""Archives of hostile homes: sparse files by what is on disk, special files skipped and
named, per-home limits, and a pool of its own that the default executor never waits on.

Finding 5 of issue 10: a 1 GiB sparse file with nothing on disk took 7.8 s to archive,
and archives ran in the thread pool logins use.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import stat
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from hubtypes.fs.archive import ArchiveLimits, archive_tree, data_segments
from hubtypes.fs.work import StorageWork

GIB = 1 << 30


def hostile_home(root: Path) -> Path:
    home = root / "workshops" / "ws" / "mallory"
    home.mkdir(parents=True)
    with open(home / "huge.bin", "wb") as f:  # 3 GiB apparent, a few bytes on disk
        f.write(b"start")
        f.seek(3 * GIB - 3)
        f.write(b"end")
    os.mkfifo(home / "pipe")  # opening it to read would block forever
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(home / "sock"))
    if os.geteuid() == 0:
        os.mknod(home / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    (home / "notes.txt").write_text("mine")
    return home


def test_a_hostile_home_is_archived_by_what_is_on_disk(tmp_path):
    root = tmp_path / "root"
    hostile_home(root)
    report = archive_tree(str(root), "workshops/ws/mallory", str(tmp_path / "arch"), "m")
    assert report is not None and report.complete
    assert report.sparse == 1 and report.bytes < 1 << 20  # not 3 GiB of zeros
    assert os.path.getsize(report.archive) < 1 << 20
    manifest = json.loads(Path(report.manifest).read_text())
    skipped = "\n".join(manifest["skipped"])
    assert "mallory/pipe: a fifo, not archived" in skipped
    assert "mallory/sock: a socket, not archived" in skipped
    if os.geteuid() == 0:
        assert "mallory/null: a character device, not archived" in skipped
    [huge] = [e for e in manifest["entries"] if e["path"] == "mallory/huge.bin"]
    assert huge["sparse"] is True and huge["size"] == 3 * GIB and huge["on_disk"] < 1 << 20
    with tarfile.open(report.archive) as tar:
        names = set(tar.getnames())
        member = tar.getmember("mallory/huge.bin")
        assert member.issparse() and member.size == 3 * GIB
        stream = tar.extractfile(member)
        assert stream is not None and stream.read(5) == b"start"
        stream.seek(3 * GIB - 3)
        assert stream.read() == b"end"
    assert {"mallory/notes.txt", "mallory/huge.bin"} <= names
    assert not names & {"mallory/pipe", "mallory/sock", "mallory/null"}


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar is not installed")
def test_gnu_tar_restores_the_sparse_file(tmp_path):
    """The sparse member is GNU tar's format 1.0: GNU tar restores it, holes and all."""
    root = tmp_path / "root"
    hostile_home(root)
    report = archive_tree(str(root), "workshops/ws/mallory", str(tmp_path / "arch"), "m")
    assert report is not None
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-xzf", report.archive, "-C", str(out)], check=True)
    restored = out / "mallory" / "huge.bin"
    assert restored.stat().st_size == 3 * GIB
    assert restored.stat().st_blocks * 512 < 1 << 20  # restored sparse, not 3 GiB
    with open(restored, "rb") as f:
        assert f.read(5) == b"start"
        f.seek(3 * GIB - 3)
        assert f.read() == b"end"
    assert (out / "mallory" / "notes.txt").read_text() == "mine"


def test_data_segments(tmp_path):
    empty, dense, holey = tmp_path / "e", tmp_path / "d", tmp_path / "h"
    empty.write_bytes(b"")
    dense.write_bytes(b"x" * 10000)
    with open(holey, "wb") as f:
        f.truncate(GIB)  # all hole
    for path, expected in [(empty, []), (dense, [(0, 10000)]), (holey, [])]:
        fd = os.open(path, os.O_RDONLY)
        try:
            assert data_segments(fd, os.fstat(fd).st_size) == expected
        finally:
            os.close(fd)


def many_files(root: Path, n: int, size: int) -> None:
    home = root / "community" / "alice"
    home.mkdir(parents=True)
    for i in range(n):
        (home / f"f{i:03d}").write_bytes(os.urandom(size))


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (ArchiveLimits(max_files=5), "files: 5 stored (the limit is 5)"),
        (ArchiveLimits(max_bytes=3000), "bytes: alice/f003 (1000 bytes on disk) would pass 3000"),
    ],
)
def test_a_limit_stops_the_archive_and_the_manifest_says_so(tmp_path, limits, reason):
    many_files(tmp_path / "root", 20, 1000)
    report = archive_tree(str(tmp_path / "root"), "community/alice", str(tmp_path / "a"), "x",
                          limits=limits)  # fmt: skip
    assert report is not None and not report.complete and report.limit.startswith(reason)
    manifest = json.loads(Path(report.manifest).read_text())
    assert manifest["complete"] is False and manifest["limit"] == report.limit
    with tarfile.open(report.archive) as tar:  # closed properly: a valid archive
        files = [m for m in tar.getmembers() if m.isfile()]
    assert len(files) == report.files == len(manifest["entries"]) < 20


def test_the_time_limit_is_checked_before_each_entry(tmp_path):
    many_files(tmp_path / "root", 10, 10)
    ticks = iter(range(1000))
    limits = ArchiveLimits(max_seconds=4)
    report = archive_tree(str(tmp_path / "root"), "community/alice", str(tmp_path / "a"), "x",
                          limits=limits, clock=lambda: next(ticks))  # fmt: skip
    assert report is not None and report.limit == "time: stopped after 4 s"
    assert report.files == 3  # the clock reads 1, 2, 3 for the first three entries


def test_storage_work_joins_one_home_and_leaves_the_default_executor_free():
    async def main() -> None:
        work = StorageWork(workers=1)
        release = threading.Event()
        calls: list[int] = []

        def slow_archive() -> str:
            calls.append(1)
            release.wait(60)  # held until the test lets it go
            return "archived"

        # seven deletes of one home: one archive, one outcome
        joined = [asyncio.ensure_future(work.run(("root", "h"), slow_archive)) for _ in range(7)]
        await asyncio.sleep(0)
        # the pool's only worker is busy; a login-like to_thread call still runs at once
        assert await asyncio.to_thread(lambda: "login") == "login"
        release.set()
        assert await asyncio.gather(*joined) == ["archived"] * 7
        assert calls == [1]
        work.shutdown()

    asyncio.run(main())
