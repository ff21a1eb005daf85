"""The culler's decisions: which servers stop, which users go, and why. Pure: no I/O.

Inputs are plain data — a hub user's model reduced to :class:`CullUser`, the user's
hub type as the spawner resolves it (:class:`hubtypes.storage.hub_types.Resolution`),
an explicit ``now`` and, optionally, whether a server's kernels are busy. Outputs are
:class:`ServerDecision` and :class:`UserDecision`, each with a reason a person can read.

Invariants (tested exhaustively and with hypothesis):

- a **community** user and an **admin** are never deleted, whatever the configuration says;
- a pending server (starting or stopping) is never touched;
- a server whose kernel is busy is not idle: it is kept until its max age (if any);
- a workshop participant past their lock time has their servers stopped (busy or not);
- a user is deleted only when the policy says so and none of their servers runs.

The policies (what each kind of user gets, and the overrides) are in
:mod:`hubtypes.lifecycle.cull_policies`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hubtypes.clock import as_utc
from hubtypes.lifecycle.cull_policies import (
    DEFAULT_POLICIES,
    KINDS,
    CullConfig,
    CullPolicy,
    apply_legacy,
    check_policy,
    kind_of,
    make_config,
    may_delete_users,
    policy_for,
    possible_kinds,
)
from hubtypes.storage.hub_types import HubType, Resolution

# --- the hub's view of users and servers ------------------------------------------------


def parse_time(value: str | None) -> datetime | None:
    """A hub API timestamp (ISO 8601, ``Z`` or offset; naive means UTC) as aware UTC."""
    if not value:
        return None
    return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


@dataclass(frozen=True)
class CullServer:
    name: str  # "" is the default server
    ready: bool
    pending: str | None
    started: datetime | None
    last_activity: datetime | None
    url: str = ""
    profile: str = ""

    @classmethod
    def from_model(cls, name: str, model: Mapping[str, Any]) -> CullServer:
        options = model.get("user_options") or {}
        profile = options.get("profile", "") if isinstance(options, Mapping) else ""
        return cls(
            name=name,
            ready=bool(model.get("ready")),
            pending=model.get("pending"),
            started=parse_time(model.get("started")),
            last_activity=parse_time(model.get("last_activity")),
            url=str(model.get("url") or ""),
            profile=str(profile or ""),
        )


@dataclass(frozen=True)
class CullUser:
    name: str
    admin: bool
    groups: tuple[str, ...]
    created: datetime | None
    last_activity: datetime | None
    servers: tuple[CullServer, ...]

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> CullUser:
        servers = model.get("servers") or {}
        return cls(
            name=str(model["name"]),
            # a model without "admin" (a token that may not read it) counts as an admin:
            # unknown is never deletable
            admin=bool(model.get("admin", True)),
            groups=tuple(model.get("groups") or ()),
            created=parse_time(model.get("created")),
            last_activity=parse_time(model.get("last_activity")),
            servers=tuple(CullServer.from_model(n, s) for n, s in sorted(servers.items())),
        )


# --- decisions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerDecision:
    server: str
    action: str  # "keep" | "stop" | "remove"
    # keep: active, busy, unanswered, pending, not-ready, exempt; stop: idle, max-age, locked
    reason: str
    idle_for: float | None = None  # seconds
    age: float | None = None  # seconds
    due_in: float | None = None  # keep: seconds until it would be culled (None: never)

    @property
    def culls(self) -> bool:
        return self.action != "keep"


def decide_server(
    policy: CullPolicy,
    server: CullServer,
    now: datetime,
    *,
    busy: bool | None = None,
    locks_at: datetime | None = None,
) -> ServerDecision:
    """Keep, stop or remove one server.

    ``busy``: whether the server's own API reported a busy kernel (None: not asked).
    ``locks_at``: a workshop participant's lock time; past it the server stops.
    """
    if server.pending:
        return ServerDecision(server.name, "keep", "pending")
    if not server.ready:
        return ServerDecision(server.name, "keep", "not-ready")
    age = (now - server.started).total_seconds() if server.started else None
    last = server.last_activity or server.started
    idle = (now - last).total_seconds() if last else None
    stop = "remove" if server.name and policy.remove_named else "stop"
    if locks_at is not None and as_utc(locks_at) <= now:
        return ServerDecision(server.name, stop, "locked", idle, age)
    if not policy.cull:
        return ServerDecision(server.name, "keep", "exempt", idle, age)
    if policy.max_age and age is not None and age >= policy.max_age:
        return ServerDecision(server.name, stop, "max-age", idle, age)
    age_left = policy.max_age - age if policy.max_age and age is not None else None
    if busy:
        return ServerDecision(server.name, "keep", "busy", idle, age, age_left)
    if idle is not None and idle >= policy.idle_timeout:
        return ServerDecision(server.name, stop, "idle", idle, age)
    idle_left = policy.idle_timeout - idle if idle is not None else policy.idle_timeout
    due = min(x for x in (idle_left, age_left) if x is not None)
    return ServerDecision(server.name, "keep", "active", idle, age, due)


def needs_busy_check(decision: ServerDecision) -> bool:
    """Only a server about to be culled for idleness is worth asking about its kernels."""
    return decision.culls and decision.reason == "idle"


def unanswered(decision: ServerDecision, *, unanswered_before: bool) -> ServerDecision:
    """The decision for a server about to be culled as idle whose own API did not answer
    the kernel question (no proxy route yet: a hub that just restarted with its proxy adds
    the users' routes only after starting its services; a server that hangs).

    Kept for this sweep (it may be busy: the next sweep asks again); unanswered in the
    sweep before too, its activity decides (a server with no kernels API is culled, a
    sweep late).
    """
    if unanswered_before or not needs_busy_check(decision):
        return decision
    d = decision
    return ServerDecision(d.server, "keep", "unanswered", d.idle_for, d.age, 0.0)


@dataclass(frozen=True)
class UserDecision:
    delete: bool
    reason: str  # delete: ephemeral; keep: community, admin, policy, servers-running, active


def decide_user(
    policy: CullPolicy,
    res: Resolution,
    user: CullUser,
    now: datetime,
    *,
    still_running: int,
    culled_now: bool,
) -> UserDecision:
    """Whether to delete ``user`` once their servers are handled.

    ``still_running``: servers that run or are pending after this sweep's stops;
    ``culled_now``: whether this sweep stopped one of theirs (then their idleness is known).
    Community users and admins are never deleted, whatever ``policy`` says.
    """
    if res.hub_type == HubType.community:
        return UserDecision(False, "community")
    if user.admin:
        return UserDecision(False, "admin")
    if not policy.delete_user:
        return UserDecision(False, "policy")
    if still_running:
        return UserDecision(False, "servers-running")
    if culled_now:
        return UserDecision(True, "ephemeral")
    last = user.last_activity or user.created
    if last is not None and now - last < timedelta(seconds=policy.idle_timeout):
        return UserDecision(False, "active")
    return UserDecision(True, "ephemeral")


__all__ = [
    "DEFAULT_POLICIES",
    "apply_legacy",
    "may_delete_users",
    "possible_kinds",
    "KINDS",
    "CullConfig",
    "CullPolicy",
    "CullServer",
    "CullUser",
    "ServerDecision",
    "UserDecision",
    "check_policy",
    "decide_server",
    "decide_user",
    "kind_of",
    "make_config",
    "needs_busy_check",
    "parse_time",
    "policy_for",
    "unanswered",
]
