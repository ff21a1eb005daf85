"""What a workshop reset will delete and what it keeps: a pure function of plain data.

The plan is computed from hubtypes' accounts of the workshop and the hub's user
models (name, admin flag, groups, running servers), with no I/O. It deletes only
users that have a hubtypes account *in this workshop* with a deletable role, and
never a hub admin, an admin account, or a user hubtypes does not know (a
community user who happens to be in the group, for instance).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hubtypes.records import AccountView, HubUser
from hubtypes.storage.mounts import MATERIALS, SHARED, workshop_subpath
from hubtypes.storage.slugs import safe_slug


@dataclass(frozen=True)
class ResetOptions:
    include_instructors: bool = False
    include_shared_folders: bool = False  # materials and shared: kept unless chosen


@dataclass(frozen=True)
class PlannedUser:
    name: str
    role: str
    hub_user: bool  # False: never logged in, only hubtypes' account exists
    servers: tuple[str, ...]
    home: str  # relative to the storage root; removed by the spawner's delete_forever


@dataclass(frozen=True)
class KeptUser:
    name: str
    reason: str


@dataclass(frozen=True)
class ResetPlan:
    workshop: str
    delete: tuple[PlannedUser, ...]
    keep: tuple[KeptUser, ...]
    storage_removed: tuple[str, ...]
    storage_kept: tuple[str, ...]
    options: ResetOptions = field(default_factory=ResetOptions)

    @property
    def usernames(self) -> list[str]:
        return [u.name for u in self.delete]

    @property
    def running_servers(self) -> int:
        return sum(len(u.servers) for u in self.delete)

    @property
    def empty(self) -> bool:
        return not self.delete

    def counts(self) -> dict[str, int]:
        return {
            "delete": len(self.delete),
            "hub_users": sum(1 for u in self.delete if u.hub_user),
            "running_servers": self.running_servers,
            "keep": len(self.keep),
        }

    def digest(self) -> str:
        """A fingerprint of what the reset deletes and keeps, and of its options.

        A confirmation carries the digest of the plan it was shown, and the reset starts
        only if the plan it is about to run has the same one. Servers starting or
        stopping and first logins do not change it (they change how, not what, is
        deleted); another account, a changed option or other storage do.
        """
        what = {
            "workshop": self.workshop,
            "delete": sorted(u.name for u in self.delete),
            "keep": sorted([k.name, k.reason] for k in self.keep),
            "storage_removed": sorted(self.storage_removed),
            "storage_kept": sorted(self.storage_kept),
            "options": [self.options.include_instructors, self.options.include_shared_folders],
        }
        raw = json.dumps(what, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(raw).hexdigest()[:20]

    def to_json(self) -> dict[str, Any]:
        return {
            "workshop": self.workshop,
            "digest": self.digest(),
            "counts": self.counts(),
            "delete": [
                {
                    "name": u.name,
                    "role": u.role,
                    "hub_user": u.hub_user,
                    "servers": list(u.servers),
                    "home": u.home,
                }
                for u in self.delete
            ],
            "keep": [{"name": k.name, "reason": k.reason} for k in self.keep],
            "storage_removed": list(self.storage_removed),
            "storage_kept": list(self.storage_kept),
            "options": {
                "include_instructors": self.options.include_instructors,
                "include_shared_folders": self.options.include_shared_folders,
            },
        }


def plan_reset(
    workshop: str,
    accounts: Iterable[AccountView],
    hub_users: Iterable[HubUser],
    options: ResetOptions | None = None,
    *,
    group: str | None = None,
) -> ResetPlan:
    """The reset of ``workshop``: whom to delete, whom to keep and why, which storage goes.

    ``accounts`` may hold any accounts (only this workshop's are considered);
    ``hub_users`` are the hub's users that might concern it (e.g. members of its
    group, and users named like its accounts). ``group`` is the workshop's hub
    group, used to explain why a member who has no account here is kept.
    """
    options = options or ResetOptions()
    hub = {u.name: u for u in hub_users}
    own = {
        a.username: a for a in accounts if a.workshop is not None and a.workshop.slug == workshop
    }
    deletable = {"participant"} | ({"instructor"} if options.include_instructors else set())
    root = workshop_subpath(workshop)
    delete: list[PlannedUser] = []
    keep: list[KeptUser] = []
    for name in sorted(set(own) | {n for n, u in hub.items() if group and group in u.groups}):
        account = own.get(name)
        hub_user = hub.get(name)
        if account is None:
            keep.append(KeptUser(name, "in the workshop's group but has no account in it"))
        elif hub_user is not None and hub_user.admin:
            keep.append(KeptUser(name, "hub admin"))
        elif account.role not in deletable:
            reason = "instructor (not chosen)" if account.role == "instructor" else account.role
            keep.append(KeptUser(name, reason))
        else:
            delete.append(
                PlannedUser(
                    name=name,
                    role=account.role,
                    hub_user=hub_user is not None,
                    servers=hub_user.servers if hub_user else (),
                    home=f"{root}/{safe_slug(name)}",
                )
            )
    shared = (f"{root}/{MATERIALS}", f"{root}/{SHARED}")
    removed = tuple(u.home for u in delete) + (shared if options.include_shared_folders else ())
    kept = () if options.include_shared_folders else shared
    return ResetPlan(workshop, tuple(delete), tuple(keep), removed, kept, options)


def workshop_folders(workshop: str, subpaths: Iterable[str]) -> tuple[str, ...]:
    """Those of ``subpaths`` that are the workshop's materials and shared folders.

    Homes are removed by the hub (the spawner's ``delete_forever``); these two the
    workshop service removes itself, so a stored plan must say exactly which.
    """
    root = workshop_subpath(workshop)
    return tuple(s for s in subpaths if s in (f"{root}/{MATERIALS}", f"{root}/{SHARED}"))
