"""The Kubernetes cleanup pod's program, run here as the pod would run it.

The cleanup pod's container runs ``python3 -c BOOTSTRAP PROGRAM ARGS``: hubtypes' own
archive and delete code, shipped in the pod spec. These tests run that exact command
and args (only the mount paths ``/storage`` and ``/archive`` and the termination
message path are swapped for temporary directories) on a hostile home, so what
Kubernetes homes get is what local homes get (finding 5 of issue 10).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from hubtypes.fs.archive import ArchiveLimits
from hubtypes.fs.cleanup_main import PodReport
from hubtypes.spawner.storage import kube_cleanup
from hubtypes.spawner.storage.kube_cleanup import (
    ARCHIVE,
    SOURCE,
    TERMINATION_LOG,
    cleanup_pod_manifest,
)

GIB = 1 << 30
STAMP = "mallory-20250101T000000Z"


def manifest(limits: ArchiveLimits | None = None, **kw: Any) -> dict[str, Any]:
    """A shared-volume home of workshop ``ws``, archived then deleted."""
    args: dict[str, Any] = {
        "namespace": "hubtypes",
        "image": "quay.io/jupyter/base-notebook:2025-01-06",
        "source_volume": {"persistentVolumeClaim": {"claimName": "nfs"}},
        "home": "workshops/ws/mallory",
        "from_pvc": False,
        "delete": True,
        "archive_volume": {"persistentVolumeClaim": {"claimName": "nfs"}},
        "archive_subpath": "_archive",
        "archive_dir": "workshops/ws",
        "archive_name": STAMP,
        "limits": limits,
    }
    return cleanup_pod_manifest(**{**args, **kw})


def run_container(
    container: dict[str, Any],
    storage: Path,
    archive: Path,
    report: Path,
    *,
    flags: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Play kubelet: run the container's command + args with the mounts swapped for dirs.

    ``flags`` go right after ``python3`` (``-I -S``: no site-packages, so no hubtypes).
    """
    assert container["terminationMessagePath"] == TERMINATION_LOG
    where = {SOURCE: str(storage), ARCHIVE: str(archive), TERMINATION_LOG: str(report)}
    command = list(container["command"])
    argv = [command[0], *flags, *command[1:]]
    argv += [where.get(a, a) for a in container["args"]]
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=report.parent,
        env={"PATH": os.environ["PATH"]},
    )


def hostile_home(storage: Path, outside: Path) -> Path:
    home = storage / "mallory"
    home.mkdir(parents=True)
    subprocess.run(["truncate", "-s", "1G", str(home / "huge.bin")], check=True)
    with open(home / "huge.bin", "r+b") as f:  # a little data at both ends
        f.write(b"start")
        f.seek(GIB - 3)
        f.write(b"end")
    os.mkfifo(home / "pipe")  # a reader would block forever
    (home / "etc").symlink_to(outside)
    (home / "notes.txt").write_text("mine")
    (home / "deep").mkdir()
    (home / "deep" / "more.txt").write_text("more")
    return home


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    # storage stands for the pod's /storage: the subPath workshops/ws of the shared volume
    out = {k: tmp_path / k for k in ("storage", "archive", "outside", "run")}
    for d in out.values():
        d.mkdir()
    (out["outside"] / "passwd").write_text("root:x:0:0\n")
    return out


def test_the_pods_exact_command_archives_a_hostile_home_and_deletes_it(dirs):
    home = hostile_home(dirs["storage"], dirs["outside"])
    container = manifest()["spec"]["containers"][0]
    assert container["command"][:2] == ["python3", "-c"]
    report_file = dirs["run"] / "termination-log"
    done = run_container(container, dirs["storage"], dirs["archive"], report_file)
    assert done.returncode == 0, done.stderr
    assert not home.exists() and not os.path.lexists(home)
    assert (dirs["outside"] / "passwd").read_text() == "root:x:0:0\n"  # the link's target
    text = report_file.read_text()
    assert len(text) < 4096  # Kubernetes' bound on a termination message
    report = PodReport.from_json(text)
    assert (report.existed, report.archived, report.complete, report.deleted) == (
        True, True, True, True,
    )  # fmt: skip
    assert report.sparse == 1 and report.skipped == 1 and report.bytes < 1 << 20
    assert report.manifest == f"workshops/ws/{STAMP}.manifest.json"
    assert (
        done.stdout.startswith("hubtypes: archived mallory (") and "deleted mallory" in done.stdout
    )
    assert len(done.stdout.splitlines()) == 1

    out = dirs["archive"] / "workshops" / "ws"
    assert sorted(p.name for p in out.iterdir()) == [f"{STAMP}.manifest.json", f"{STAMP}.tar.gz"]
    manifest_data = json.loads((out / f"{STAMP}.manifest.json").read_text())
    assert manifest_data["complete"] is True
    assert manifest_data["skipped"] == ["mallory/pipe: a fifo, not archived"]
    extracted = dirs["run"] / "x"
    with tarfile.open(out / f"{STAMP}.tar.gz") as tar:  # a valid .tar.gz
        members = {m.name: m for m in tar.getmembers()}
        assert members["mallory/etc"].issym()
        assert members["mallory/etc"].linkname == str(dirs["outside"])
        assert {"mallory/notes.txt", "mallory/deep/more.txt"} <= set(members)
        assert "mallory/pipe" not in members
        tar.extract(members["mallory/huge.bin"], extracted, filter="tar")
    huge = extracted / "mallory" / "huge.bin"
    assert huge.stat().st_size == GIB
    assert huge.stat().st_blocks * 512 < 1 << 20  # restored sparse, holes and all
    with open(huge, "rb") as f:
        assert f.read(5) == b"start"
        f.seek(GIB - 3)
        assert f.read() == b"end"

    # idempotent: the home is gone, so a second run (a retried pod) finds nothing
    again = run_container(container, dirs["storage"], dirs["archive"], report_file)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "hubtypes: nothing at mallory"
    assert PodReport.from_json(report_file.read_text()) == PodReport(home="mallory")


def test_a_limit_stops_the_archive_says_so_and_the_home_still_goes(dirs):
    home = hostile_home(dirs["storage"], dirs["outside"])
    container = manifest(ArchiveLimits(max_files=1))["spec"]["containers"][0]
    assert container["args"][container["args"].index("--max-files") + 1] == "1"
    report_file = dirs["run"] / "termination-log"
    done = run_container(container, dirs["storage"], dirs["archive"], report_file)
    assert done.returncode == 0, done.stderr
    report = PodReport.from_json(report_file.read_text())
    assert report.archived and not report.complete and report.deleted
    assert report.files == 1 and report.limit == "files: 1 stored (the limit is 1)"
    assert "INCOMPLETE, stopped at files: 1 stored" in done.stdout
    assert not home.exists()
    out = dirs["archive"] / "workshops" / "ws"
    manifest_data = json.loads((out / f"{STAMP}.manifest.json").read_text())
    assert manifest_data["complete"] is False and manifest_data["limit"] == report.limit
    with tarfile.open(out / f"{STAMP}.tar.gz") as tar:  # closed as a valid archive
        assert len([m for m in tar.getmembers() if not m.isdir()]) == 1


def test_a_bytes_limit_on_a_long_path_keeps_the_report_under_4096_bytes(dirs):
    home = dirs["storage"] / "mallory"
    deep = home.joinpath(*["d" * 200] * 15)  # a 3 KB path
    deep.mkdir(parents=True)
    (deep / ("f" * 250)).write_bytes(b"x" * 4096)
    container = manifest(ArchiveLimits(max_bytes=10))["spec"]["containers"][0]
    report_file = dirs["run"] / "termination-log"
    done = run_container(container, dirs["storage"], dirs["archive"], report_file)
    assert done.returncode == 0, done.stderr
    text = report_file.read_text()
    assert len(text.encode()) < 4096
    report = PodReport.from_json(text)
    assert not report.complete and report.limit.startswith("bytes: mallory/ddd")


def test_the_program_needs_no_hubtypes_in_the_image(dirs):
    """``-I -S``: no site-packages, no current directory: hubtypes cannot be imported,
    so everything the pod runs came in its spec."""
    container = manifest()["spec"]["containers"][0]
    probe = [container["command"][0], "-I", "-S", "-c", "import hubtypes"]
    assert subprocess.run(probe, capture_output=True, cwd=dirs["run"]).returncode != 0
    (dirs["storage"] / "mallory").mkdir()
    (dirs["storage"] / "mallory" / "a.txt").write_text("a")
    report_file = dirs["run"] / "termination-log"
    done = run_container(
        container, dirs["storage"], dirs["archive"], report_file, flags=("-I", "-S")
    )
    assert done.returncode == 0, done.stderr
    assert PodReport.from_json(report_file.read_text()).files == 1


def test_a_pvc_home_is_a_mount_point_and_is_archived_whole(dirs):
    """The pod mounts a PVC at /storage/{user}: the home is a filesystem of its own,
    which the archive enters (and no other mounted inside it). Run in a private mount
    namespace with a tmpfs as the PVC."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"]).returncode != 0:
        pytest.skip("needs unshare with user and mount namespaces")
    container = manifest(home="workshops/ws/mallory", from_pvc=True, delete=False)
    spec = container["spec"]
    c = spec["containers"][0]
    assert c["volumeMounts"][0] == {"name": "source", "mountPath": "/storage/mallory"}
    assert c["args"][-1] == "keep"
    home = dirs["storage"] / "mallory"
    home.mkdir()
    setup = (
        'mount -t tmpfs pvc "$0" && mkdir "$0/sub" && echo hi > "$0/sub/f" '
        '&& echo top > "$0/t" && exec "$@"'
    )
    where = {SOURCE: str(dirs["storage"]), ARCHIVE: str(dirs["archive"])}
    report_file = dirs["run"] / "termination-log"
    where[TERMINATION_LOG] = str(report_file)
    argv = c["command"] + [where.get(a, a) for a in c["args"]]
    done = subprocess.run(
        [unshare, "-rm", "sh", "-c", setup, str(home), *argv], capture_output=True, text=True,
        timeout=120, cwd=dirs["run"],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = PodReport.from_json(report_file.read_text())
    assert report.complete and report.files == 2 and report.skipped == 0 and not report.deleted
    with tarfile.open(dirs["archive"] / "workshops" / "ws" / f"{STAMP}.tar.gz") as tar:
        assert {"mallory/t", "mallory/sub/f"} <= set(tar.getnames())


def test_a_shipped_module_importing_what_is_not_shipped_is_refused(monkeypatch):
    kube_cleanup.shipped_program.cache_clear()
    monkeypatch.setattr(kube_cleanup, "SHIPPED", ("hubtypes.fs.archive",))
    with pytest.raises(RuntimeError, match="imports hubtypes.fs.safe_delete, not shipped"):
        kube_cleanup.shipped_program()
    kube_cleanup.shipped_program.cache_clear()


def test_unsafe_arguments_fail_the_pod(dirs):
    container = manifest()["spec"]["containers"][0]
    container["args"][-4] = ".."  # as if a slug were not one: never reaches the filesystem
    done = run_container(container, dirs["storage"], dirs["archive"], dirs["run"] / "log")
    assert done.returncode != 0 and "unsafe storage path '..'" in done.stderr
