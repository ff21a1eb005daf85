"""Plain, immutable views of hubtypes' data, passed to the pure decision functions.

The database queries (:mod:`hubtypes.db.queries`) turn rows into these, so decisions
(expiry, hub type, mounts, reset plans) never touch SQLAlchemy or I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A workshop's state in hubtypes' database. Only an open workshop accepts accounts and
# lets its accounts log in; a reset moves it to resetting, then purged, where it stays
# until an admin reopens it.
WORKSHOP_OPEN = "open"
WORKSHOP_RESETTING = "resetting"
WORKSHOP_PURGED = "purged"
# a purged workshop an admin put away: hidden from lists, its audit log kept
WORKSHOP_ARCHIVED = "archived"


@dataclass(frozen=True)
class WorkshopView:
    slug: str
    title: str
    starts_at: datetime  # aware UTC
    ends_at: datetime  # lock time, aware UTC
    delete_after: datetime  # purge time, aware UTC
    state: str = WORKSHOP_OPEN

    @property
    def closed(self) -> bool:
        """Being reset or purged: no new accounts, no logins."""
        return self.state != WORKSHOP_OPEN


@dataclass(frozen=True)
class AccountView:
    username: str
    role: str  # "participant" | "instructor" | "admin"
    workshop: WorkshopView | None
    expires_at: datetime | None = None  # the account's own lock time, aware UTC
    disabled: bool = False
    last_login_at: datetime | None = None
    created_at: datetime | None = None
    created_by: str = ""


# the columns of a credentials CSV, printed card or table: service and CLI alike
CREDENTIAL_COLUMNS = (
    "username",
    "code",
    "role",
    "workshop",
    "expires_at",
    # what the participant is told (hubtypes.access.dates): empty for staff without an end
    "access_ends",
    "files_deleted_after",
)


@dataclass(frozen=True)
class NewCredential:
    """A just-created account's username and code: shown once, never stored in clear."""

    username: str
    code: str
    role: str
    workshop: str | None
    expires_at: datetime | None
    access_ends: datetime | None = None
    files_deleted_after: datetime | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The credential keyed by :data:`CREDENTIAL_COLUMNS` (JSON, CSV)."""
        return {
            "username": self.username,
            "code": self.code,
            "role": self.role,
            "workshop": self.workshop,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "access_ends": self.access_ends.isoformat() if self.access_ends else None,
            "files_deleted_after": (
                self.files_deleted_after.isoformat() if self.files_deleted_after else None
            ),
        }


def running_servers(user_model: Mapping[str, Any]) -> list[str]:
    """Names of a hub user model's servers that run or are pending ("" = the default one)."""
    servers = user_model.get("servers") or {}
    names = [name for name, s in servers.items() if s.get("ready") or s.get("pending")]
    if not servers and user_model.get("server"):
        names.append("")
    return sorted(names)


@dataclass(frozen=True)
class HubUser:
    """What the plan needs to know about a hub user."""

    name: str
    admin: bool = False
    groups: tuple[str, ...] = ()
    servers: tuple[str, ...] = ()  # running or pending ("" is the default server)

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> HubUser:
        return cls(
            name=str(model["name"]),
            admin=bool(model.get("admin")),
            groups=tuple(model.get("groups") or ()),
            servers=tuple(running_servers(dict(model))),
        )
