"""Safe delete and archive of a big home, next to ``rm -rf`` and ``tar czf``.

Builds a home of 20,000 files (~1 GB, incompressible data: the worst case for
gzip) under a workshop folder, then measures on the same tree:

* ``tar czf`` (GNU tar + gzip -6) and hubtypes' ``archive_tree`` (tar.gz +
  manifest with SHA-256 per file), in MB/s;
* hubtypes' ``safe_delete`` and, on a rebuilt copy, ``rm -rf``, in seconds (each
  after ``sync``: freeing blocks already on disk is most of the cost).

Prints one JSON line. Run: ``python tests/benchmarks/bench_safe_delete.py``
(``--files N --size BYTES`` to change the tree).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

from hubtypes.fs.archive import archive_tree
from hubtypes.fs.safe_delete import safe_delete


def build(root: str, files: int, size: int) -> int:
    """files spread over 200 folders two levels deep; returns total bytes."""
    home = os.path.join(root, "workshops", "bench", "alice")
    block = os.urandom(size)  # one random block, rotated per file: cheap, incompressible
    total = 0
    for i in range(files):
        d = os.path.join(home, f"project-{i % 20}", f"data-{i % 200 // 20}")
        if i < 200:
            os.makedirs(d, exist_ok=True)
        k = (i * 7919) % size
        with open(os.path.join(d, f"file-{i}.bin"), "wb") as f:
            f.write(block[k:] + block[:k])
        total += size
    os.symlink("/etc", os.path.join(home, "etc-link"))  # must not be followed
    return total


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--size", type=int, default=50 * 1024)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="hubtypes-bench-")
    try:
        root = os.path.join(base, "root")
        total = build(root, args.files, args.size)
        mb = total / 1e6
        tar_out = os.path.join(base, "plain.tar.gz")
        tar_s = timed(
            lambda: subprocess.run(
                ["tar", "czf", tar_out, "-C", os.path.join(root, "workshops/bench"), "alice"],
                check=True,
            )
        )
        arch_s = timed(
            lambda: archive_tree(root, "workshops/bench/alice", os.path.join(base, "a"), "alice")
        )
        report = {}

        def delete() -> None:
            report["r"] = safe_delete(root, "workshops/bench/alice")

        os.sync()  # both deletions start from a tree that is on disk, not in dirty cache
        delete_s = timed(delete)
        assert report["r"].files == args.files + 1 and not report["r"].errors
        build(root, args.files, args.size)
        os.sync()
        rm_s = timed(
            lambda: subprocess.run(
                ["rm", "-rf", os.path.join(root, "workshops/bench/alice")], check=True
            )
        )
        print(
            json.dumps(
                {
                    "benchmark": "safe_delete_and_archive",
                    "files": args.files,
                    "megabytes": round(mb, 1),
                    "safe_delete_s": round(delete_s, 3),
                    "rm_rf_s": round(rm_s, 3),
                    "archive_MBps": round(mb / arch_s, 1),
                    "tar_czf_MBps": round(mb / tar_s, 1),
                    "archive_s": round(arch_s, 2),
                    "tar_czf_s": round(tar_s, 2),
                    "archive_bytes": os.path.getsize(os.path.join(base, "a", "alice.tar.gz")),
                    "tar_czf_bytes": os.path.getsize(tar_out),
                    "cpus": os.cpu_count(),
                }
            )
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
