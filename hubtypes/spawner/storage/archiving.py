"""Archive-then-delete of a home in the hub process: its own pool, its limits, its audit.

A home is removed when the hub deletes its user (``delete_forever``). That work runs in
:func:`hubtypes.fs.work.storage_work`'s bounded pool, never in the event loop's default
executor where logins run, and an archive is bounded by :class:`HubTypesArchiving`'s
limits; a limit reached is written to hubtypes' audit log (``storage.archive-limit``)
and said at WARNING, and the home is then deleted as the policy asks. On Kubernetes the
cleanup pod runs the same archive code with the same limits, and the hub audits its
report with :func:`audit_archive_limit` (:mod:`.kube_cleanup`).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from traitlets import Float, Integer
from traitlets.config import LoggingConfigurable

from hubtypes.fs.archive import ArchiveLimits, ArchiveReport, archive_tree
from hubtypes.fs.safe_delete import safe_delete
from hubtypes.fs.work import storage_work
from hubtypes.storage.hub_types import StorageAction

log = logging.getLogger("hubtypes.spawner")


class HubTypesArchiving(LoggingConfigurable):
    """How homes are archived and deleted: the limits also bound the Kubernetes cleanup pod."""

    workers = Integer(
        2,
        min=1,
        help="""Threads that archive and delete homes, in a pool of their own: logins and
        the hub's other work never wait for them, and more deletes at once wait for each
        other. Read once, when the hub first deletes a home. Default 2.""",
    ).tag(config=True)

    max_bytes = Integer(
        10 * 1024**3,
        min=0,
        help="""The most file data one home's archive stores, counted by what is on disk
        (a sparse file counts its data, not its apparent size). The archive stops at the
        first file that would pass it; the manifest says so, an audit entry
        ``storage.archive-limit`` records it, and the home is deleted. 0: no limit.
        These limits bound the Kubernetes cleanup pod's archives too. Default 10 GiB;
        e.g. ``c.HubTypesArchiving.max_bytes = 2 * 1024**3``.""",
    ).tag(config=True)

    max_files = Integer(
        200_000,
        min=0,
        help="""The most files and links one home's archive stores (then as ``max_bytes``).
        0: no limit. Default 200,000.""",
    ).tag(config=True)

    max_seconds = Float(
        900.0,
        min=0.0,
        help="""How long one home's archive may take, checked before each entry (then as
        ``max_bytes``; one file is never cut short, so ``max_bytes`` bounds the overrun).
        0: no limit. Default 900 s.""",
    ).tag(config=True)

    @property
    def limits(self) -> ArchiveLimits:
        return ArchiveLimits(self.max_bytes, self.max_files, self.max_seconds)


def archive_and_delete(
    root: str, archive_root: str, stored: dict[str, str], action: Any, limits: ArchiveLimits
) -> ArchiveReport | None:
    """Archive (if asked) and delete the stored home under ``root``; idempotent."""
    if action == StorageAction.keep:
        return None
    report = None
    if action == StorageAction.archive:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        dest = os.path.join(archive_root, *stored["home"].split("/")[:-1])
        report = archive_tree(root, stored["home"], dest, f"{stored['user']}-{stamp}",
                              limits=limits)  # fmt: skip
    safe_delete(root, stored["home"])
    return report


async def remove_home_in_pool(spawner: Any, stored: dict[str, str], action: Any) -> None:
    """What the local and Docker backends do on deletion, in the storage pool."""
    if action == StorageAction.keep:
        # back at once, without a turn of the event loop: the hub counts a removed named
        # server against the user's limit until delete_forever returns (and has answered
        # 204 already; see jupyterhub/apihandlers/users.py, _remove_spawner)
        return
    settings = HubTypesArchiving(parent=spawner)
    root = spawner.storage_root
    report = await storage_work(settings.workers).run(
        ("home", root, stored["home"]),
        archive_and_delete,
        root,
        spawner.hubtypes_archive_root,
        stored,
        action,
        settings.limits,
    )
    if report is not None and not report.complete:
        await storage_work(settings.workers).run(
            ("audit", report.manifest), audit_archive_limit, spawner, stored, report
        )


def audit_archive_limit(
    spawner: Any, stored: dict[str, str], report: ArchiveReport, volume: str = ""
) -> None:
    """Say at WARNING and audit (``storage.archive-limit``) that an archive is incomplete.

    The one place for it, whoever archived: the hub process (local, Docker) or the
    Kubernetes cleanup pod, whose ``report.manifest`` is then a path on the trait
    named ``volume`` (``kube_archive_volume``). Blocking: run it in the storage pool.
    """
    from hubtypes.clock import utcnow
    from hubtypes.db.database import HubTypesDatabase
    from hubtypes.db.queries.audit import audit

    details: dict[str, Any] = {
        "home": stored["home"],
        "limit": report.limit,
        "files": report.files,
        "bytes": report.bytes,
        "manifest": report.manifest,
    }
    where = report.manifest
    if volume:
        details["volume"] = volume
        where += f" on {volume}"
    log.warning(
        f"hubtypes: the archive of {stored['home']} stopped at a limit ({report.limit}); "
        f"it holds {report.files} files, see {where}; the home is deleted"
    )
    with HubTypesDatabase(parent=spawner).connect().session() as session:
        audit(session, actor="hub", action="storage.archive-limit",
              target=_username(spawner, stored), now=utcnow(), details=details)  # fmt: skip


def _username(spawner: Any, stored: dict[str, str]) -> str:
    user = getattr(spawner, "user", None)
    return str(getattr(user, "name", "") or stored.get("user", ""))


__all__ = ["HubTypesArchiving", "archive_and_delete", "audit_archive_limit", "remove_home_in_pool"]
