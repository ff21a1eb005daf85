"""Safe delete and archive: nothing outside the target is touched, whatever is inside it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubtypes.fs.archive import archive_tree
from hubtypes.fs.safe_delete import UnsafePath, safe_delete

ODD = st.sampled_from(
    ["a", "b c", "-rf", "new\nline", "ünï", "..a", ".hidden", "*", "x" * 200, "back\\slash", "\t"]
)
KIND = st.sampled_from(
    [
        "file",
        "dir",
        "locked-dir",
        "link-outside-dir",
        "link-outside-file",
        "link-other-home",
        "link-materials",
        "hardlink-outside",
        "link-dangling",
        "link-root",
        "fifo",
        "socket",
        "sparse",
    ]
)
TREE = st.lists(st.tuples(st.integers(0, 5), ODD, KIND), min_size=1, max_size=25)


def snapshot(path: Path) -> dict[str, tuple[int, bytes | str]]:
    """Everything under ``path`` (not following links): type/mode and content or target."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st_ = os.lstat(p)
            if stat.S_ISLNK(st_.st_mode):
                content: bytes | str = os.readlink(p)
            elif stat.S_ISREG(st_.st_mode):
                content = Path(p).read_bytes()
            else:
                content = b""
            out[os.path.relpath(p, path)] = (st_.st_mode, content)
    return out


def build(base: Path, spec: list[tuple[int, str, str]]) -> tuple[Path, Path]:
    """root/workshops/ws/{alice (target), bob, _materials} and an 'outside' tree."""
    root, outside = base / "root", base / "outside"
    ws = root / "workshops" / "ws"
    for d in (ws / "alice", ws / "bob", ws / "_materials", outside / "dir"):
        d.mkdir(parents=True)
    (outside / "file").write_text("outside")
    (outside / "dir" / "inner").write_text("inner")
    (ws / "bob" / "notes.txt").write_text("bob's")
    (ws / "_materials" / "lesson.ipynb").write_text("{}")
    dirs = [ws / "alice"]
    locked = []
    for parent_index, name, kind in spec:
        parent = dirs[parent_index % len(dirs)]
        p = parent / name
        if os.path.lexists(p):
            continue
        if kind == "file":
            p.write_bytes(os.urandom(64))
        elif kind in ("dir", "locked-dir"):
            p.mkdir()
            (p / "f").write_text("x")
            dirs.append(p)
            if kind == "locked-dir":
                locked.append(p)
        elif kind == "link-outside-dir":
            p.symlink_to(outside / "dir")
        elif kind == "link-outside-file":
            p.symlink_to(outside / "file")
        elif kind == "link-other-home":
            p.symlink_to("../../bob" if parent == ws / "alice" else ws / "bob")
        elif kind == "link-materials":
            p.symlink_to(ws / "_materials")
        elif kind == "hardlink-outside":
            os.link(outside / "file", p)
        elif kind == "link-dangling":
            p.symlink_to(base / "nowhere")
        elif kind == "link-root":
            p.symlink_to(root)
        elif kind == "fifo":
            os.mkfifo(p)
        elif kind == "socket" and len(str(p).encode()) < 100:  # AF_UNIX paths are short
            import socket

            with socket.socket(socket.AF_UNIX) as sock:
                sock.bind(str(p))
        elif kind == "sparse":  # data, a 1 GiB hole, data: the archive stores 2 small parts
            with open(p, "wb") as f:
                f.write(b"head")
                f.seek(1 << 30)
                f.write(b"tail")
    for p in reversed(locked):
        p.chmod(0)
    return root, outside


@settings(max_examples=40, deadline=None)
@given(TREE)
def test_delete_touches_nothing_outside(spec):
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, outside = build(base, spec)
        ws = root / "workshops" / "ws"
        before_outside, before_ws = snapshot(outside), snapshot(ws / "bob")
        before_materials = snapshot(ws / "_materials")
        report = safe_delete(str(root), "workshops/ws/alice")
        assert report.existed and not report.errors
        assert not os.path.lexists(ws / "alice")
        assert snapshot(outside) == before_outside
        assert snapshot(ws / "bob") == before_bob if (before_bob := before_ws) else True
        assert snapshot(ws / "_materials") == before_materials
        # idempotent
        again = safe_delete(str(root), "workshops/ws/alice")
        assert not again.existed and again.files == again.dirs == 0


@settings(max_examples=15, deadline=None)
@given(TREE)
def test_archive_never_follows_links(spec):
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, outside = build(base, spec)
        report = archive_tree(str(root), "workshops/ws/alice", str(base / "arch"), "alice-1")
        assert report is not None
        alice = root / "workshops" / "ws" / "alice"
        with tarfile.open(report.archive) as tar:
            members = {m.name: m for m in tar.getmembers()}
            for m in members.values():
                assert m.name == "alice" or m.name.startswith("alice/")
                if m.isfile() and not m.issparse():
                    data = tar.extractfile(m).read()  # type: ignore[union-attr]
                    assert data not in (b"inner", b"bob's")  # reachable only via links
                elif m.issparse():  # stored by its data; the holes come back as holes
                    assert m.size == (1 << 30) + 4 and sum(n for _, n in m.sparse) < 1 << 20
                    stream = tar.extractfile(m)
                    assert stream is not None and stream.read(4) == b"head"
                    stream.seek(1 << 30)
                    assert stream.read() == b"tail"
        manifest = json.loads(Path(report.manifest).read_text())
        assert manifest["files"] == report.files and manifest["complete"] is True
        assert {e["path"] for e in manifest["entries"]} <= set(members)
        # every fifo and socket is named in the manifest, none is in the archive
        specials = {
            f"alice/{p.relative_to(alice)}"
            for p in alice.rglob("*")
            if not p.is_symlink() and (p.is_fifo() or p.is_socket())
            and all(os.access(q, os.X_OK) for q in p.parents if alice in q.parents)
        }  # fmt: skip
        skipped = {line.rsplit(": ", 2)[0] for line in manifest["skipped"]}
        assert specials <= skipped and not specials & set(members)
        assert not (base / "arch" / "alice-1.tar.gz.partial").exists()


def test_symlink_on_the_way_down_is_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "victim"
    (outside / "ws" / "alice").mkdir(parents=True)
    (outside / "ws" / "alice" / "precious").write_text("!")
    root.mkdir()
    (root / "workshops").symlink_to(outside)
    with pytest.raises(UnsafePath):
        safe_delete(str(root), "workshops/ws/alice")
    assert (outside / "ws" / "alice" / "precious").exists()


def test_target_that_is_a_link_is_unlinked_only(tmp_path):
    (tmp_path / "root" / "community").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root")
    (tmp_path / "root" / "community" / "alice").symlink_to(tmp_path / "etc")
    report = safe_delete(str(tmp_path / "root"), "community/alice")
    assert report.files == 1
    assert (tmp_path / "etc" / "passwd").read_text() == "root"


def test_missing_paths_are_fine(tmp_path):
    assert not safe_delete(str(tmp_path), "community/nobody").existed
    assert archive_tree(str(tmp_path), "community/nobody", str(tmp_path / "a"), "x") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the check as another user")
def test_unprivileged_delete_of_permissionless_dirs():
    """As an ordinary user (where mode 000 really blocks): chmod within the tree only."""
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        root, outside = build(
            base,
            [
                (0, "a", "locked-dir"),
                (1, "b", "locked-dir"),
                (0, "l", "link-outside-dir"),
                (2, "m", "link-materials"),
            ],
        )
        (outside / "dir").chmod(0o500)  # a bug that chmods through the link would show
        for dirpath, dirnames, filenames in os.walk(base):
            for n in dirnames + filenames + [""]:
                os.lchown(os.path.join(dirpath, n), 65534, 65534)
        before = snapshot(outside)
        watched = [outside / "dir", root / "workshops/ws/_materials"]
        modes = {p: os.lstat(p).st_mode for p in watched}
        pid = os.fork()
        if pid == 0:  # the child drops to nobody and deletes
            code = 1
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                r = safe_delete(str(root), "workshops/ws/alice")
                code = 0 if r.existed and not r.errors else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert not (root / "workshops/ws/alice").exists()
        assert snapshot(outside) == before
        assert {p: os.lstat(p).st_mode for p in modes} == modes
    finally:
        for dirpath, dirnames, _ in os.walk(base):
            for n in dirnames:
                os.chmod(os.path.join(dirpath, n), 0o700)
        shutil.rmtree(base)
