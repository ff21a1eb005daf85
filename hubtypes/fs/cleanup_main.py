"""The cleanup pod's program: archive and/or delete one home, then report.

On Kubernetes the hub cannot see a home on the shared volume (or inside a PVC), so a
short-lived pod does what :func:`hubtypes.spawner.storage.archiving.archive_and_delete`
does in the hub process, with the very same code: :func:`~hubtypes.fs.archive.archive_tree`
(limits, sparse files by their data, special files skipped and listed, links never
followed, a temporary name then a rename, a manifest) and
:func:`~hubtypes.fs.safe_delete.safe_delete`. The pod's image need not have hubtypes:
:mod:`hubtypes.spawner.storage.kube_cleanup` ships this module and the ones it imports
as source in the pod spec, and a short bootstrap runs :func:`main`. So this module
imports only the standard library and those modules, and runs as well directly::

    python -m hubtypes.fs.cleanup_main --storage DIR --archive DIR --report FILE \\
        [--max-bytes N --max-files N --max-seconds S] -- NAME ARCHIVE_DIR ARCHIVE_NAME MODE

``NAME`` is the home under ``--storage``; with ``ARCHIVE_NAME`` it is archived to
``--archive``/``ARCHIVE_DIR``/``ARCHIVE_NAME``.tar.gz (and ``.manifest.json``); with
``MODE`` ``delete`` it is then deleted (``keep``: a PVC the hub deletes whole). The
:class:`PodReport` goes to ``--report`` (the container's termination message, which the
hub reads) as compact JSON, and one line to stdout. A missing home is success.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from hubtypes.fs.archive import ArchiveLimits, archive_tree
from hubtypes.fs.safe_delete import safe_delete
from hubtypes.storage.slugs import check_relative

# Kubernetes keeps at most 4096 bytes of a termination message; the report stays far
# below: its only free text (the limit, which may name a file) is cut to this length
MAX_TEXT = 1024
# an archive's file name: the user's slug, a dash and a UTC stamp (20240131T120000Z)
_ARCHIVE_NAME = re.compile(r"^[a-z0-9][a-zA-Z0-9-]{0,120}$")


@dataclass
class PodReport:
    """What the cleanup pod did; its JSON is the container's termination message."""

    home: str = ""
    existed: bool = False
    archived: bool = False
    complete: bool = True  # False: the archive stopped at ``limit``
    limit: str = ""
    files: int = 0
    bytes: int = 0  # file data stored (on disk, not apparent sizes)
    sparse: int = 0
    skipped: int = 0  # entries not archived; the manifest names them
    manifest: str = ""  # relative to the archive root
    deleted: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> PodReport:
        """The report in ``text``; ValueError if it is not one."""
        data = json.loads(text)  # json.JSONDecodeError is a ValueError
        if not isinstance(data, dict):
            raise ValueError("the report is not a JSON object")
        kinds = {f.name: type(getattr(cls(), f.name)) for f in fields(cls)}
        for key, value in data.items():
            if key in kinds and type(value) is not kinds[key]:
                raise ValueError(f"the report's {key!r} is not a {kinds[key].__name__}")
        return cls(**{k: v for k, v in data.items() if k in kinds})  # newer keys: ignored


def run(
    storage: str, archive_root: str, name: str, archive_dir: str, archive_name: str,
    delete: bool, limits: ArchiveLimits,
) -> PodReport:  # fmt: skip
    """Archive (if ``archive_name``) and delete (if ``delete``) ``storage/name``."""
    check_relative(name)
    if "/" in name:
        raise ValueError(f"the home must be one name under the storage root, not {name!r}")
    if archive_dir:
        check_relative(archive_dir)
    if archive_name and not _ARCHIVE_NAME.match(archive_name):
        raise ValueError(f"unsafe archive name {archive_name!r}")
    report = PodReport(home=name)
    try:
        os.lstat(os.path.join(storage, name))
    except FileNotFoundError:
        return report  # deleted by an earlier run: nothing to do
    report.existed = True
    if archive_name:
        dest = os.path.join(archive_root, *archive_dir.split("/")) if archive_dir else archive_root
        archived = archive_tree(storage, name, dest, archive_name, limits=limits)
        if archived is not None:
            report.archived = True
            report.complete = archived.complete
            report.limit = archived.limit[:MAX_TEXT]
            report.files, report.bytes = archived.files, archived.bytes
            report.sparse, report.skipped = archived.sparse, len(archived.skipped)
            report.manifest = os.path.relpath(archived.manifest, archive_root)
    if delete:
        # a tree it could not empty raises (rmdir of a non-empty directory): the pod
        # fails, and the hub keeps the user to be retried
        safe_delete(storage, name)
        report.deleted = True
    return report


def describe(report: PodReport) -> str:
    """The one line the pod prints."""
    if not report.existed:
        return f"hubtypes: nothing at {report.home}"
    said = []
    if report.archived:
        state = "complete" if report.complete else f"INCOMPLETE, stopped at {report.limit}"
        said.append(
            f"archived {report.home} ({report.files} files, {report.bytes} bytes on disk, "
            f"{report.sparse} sparse, {report.skipped} skipped; {state}; "
            f"manifest {report.manifest})"
        )
    if report.deleted:
        said.append(f"deleted {report.home}")
    return "hubtypes: " + ("; ".join(said) or f"left {report.home} as it is")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hubtypes-cleanup", description="Archive, delete a home.")
    p.add_argument("--storage", required=True, help="the directory holding the home")
    p.add_argument("--archive", required=True, help="the archive root")
    p.add_argument("--report", required=True, help="where the JSON report goes")
    p.add_argument("--max-bytes", type=int, default=0, help="0: no limit")
    p.add_argument("--max-files", type=int, default=0, help="0: no limit")
    p.add_argument("--max-seconds", type=float, default=0.0, help="0: no limit")
    p.add_argument("name")
    p.add_argument("archive_dir", help="'': the archive root itself")
    p.add_argument("archive_name", help="'': do not archive")
    p.add_argument("mode", choices=["keep", "delete"])
    return p


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    limits = ArchiveLimits(args.max_bytes, args.max_files, args.max_seconds)
    report = run(args.storage, args.archive, args.name, args.archive_dir,
                 args.archive_name, args.mode == "delete", limits)  # fmt: skip
    with open(args.report, "w", encoding="ascii") as f:
        f.write(report.to_json())
    print(describe(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["PodReport", "describe", "main", "run"]
