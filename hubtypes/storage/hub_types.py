"""Hub types as data, and which one applies to a user: pure functions, no I/O.

A *policy* says, for one hub type, which extra folders a user gets and what
happens to their home when the server stops or the user is deleted. *Resolution*
picks the policy for one user from the hub-wide default and the user's account
in hubtypes' database: a workshop member is a workshop user even on a community
hub, because their data must go when the workshop does.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hubtypes.clock import as_utc
from hubtypes.records import AccountView, WorkshopView
from hubtypes.storage.slugs import safe_slug


class HubType(str, enum.Enum):
    community = "community"
    workshop = "workshop"
    binder = "binder"


class StorageAction(str, enum.Enum):
    keep = "keep"
    archive = "archive"  # archive (tar.gz + manifest), then delete
    delete = "delete"


@dataclass(frozen=True)
class HubTypePolicy:
    """What one hub type does with storage."""

    hub_type: HubType
    materials: bool  # mount the workshop's materials folder
    shared: bool  # mount the workshop's shared folder
    on_stop: StorageAction  # keep or delete (binder homes live one session; never workshop)
    on_delete: StorageAction  # when the hub deletes the user or named server
    environment: Mapping[str, str] = field(default_factory=dict)


DEFAULT_POLICIES: Mapping[HubType, HubTypePolicy] = {
    HubType.community: HubTypePolicy(
        HubType.community, False, False, StorageAction.keep, StorageAction.keep
    ),
    HubType.workshop: HubTypePolicy(
        HubType.workshop, True, True, StorageAction.keep, StorageAction.archive
    ),
    HubType.binder: HubTypePolicy(
        HubType.binder, False, False, StorageAction.delete, StorageAction.delete
    ),
}

_POLICY_FIELDS = {"materials", "shared", "on_stop", "on_delete", "environment"}


def apply_overrides(
    base: Mapping[HubType, HubTypePolicy], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[HubType, HubTypePolicy]:
    """``base`` with per-type field overrides from configuration, validated.

    ``overrides`` looks like ``{"community": {"on_delete": "archive"}}``. Errors
    name the offending key so an operator can fix the config file.
    """
    result = dict(base)
    for type_name, fields in overrides.items():
        try:
            hub_type = HubType(type_name)
        except ValueError:
            raise ValueError(
                f"unknown hub type {type_name!r} in policy overrides "
                f"(expected one of {', '.join(t.value for t in HubType)})"
            ) from None
        unknown = set(fields) - _POLICY_FIELDS
        if unknown:
            raise ValueError(f"unknown policy field(s) {sorted(unknown)} for {type_name}")
        changes: dict[str, Any] = {}
        for key, value in fields.items():
            if key in ("on_stop", "on_delete"):
                try:
                    changes[key] = StorageAction(value)
                except ValueError:
                    raise ValueError(
                        f"{type_name}.{key} must be keep, archive or delete, not {value!r}"
                    ) from None
            elif key == "environment":
                changes[key] = {str(k): str(v) for k, v in dict(value).items()}
            else:
                changes[key] = bool(value)
        if changes.get("on_stop") == StorageAction.archive:
            raise ValueError(f"{type_name}.on_stop cannot be 'archive' (keep or delete)")
        if hub_type == HubType.workshop and changes.get("on_stop") == StorageAction.delete:
            # a home deleted on stop is one per server (storage.mounts.home_per_server); a
            # workshop's must sit beside its _materials and _shared, and last the workshop
            raise ValueError(
                "workshop.on_stop cannot be 'delete': workshop homes last the workshop "
                "(a reset removes them); use the binder type for homes that go at each stop"
            )
        result[hub_type] = replace(result[hub_type], **changes)
    return result


def config_problems(section: Mapping[str, Any]) -> list[str]:
    """What is wrong with a ``c.HubTypeSpawnerMixin`` config section, each naming its key.

    Pure, so the hub can check the spawner's settings at start-up from any part (the
    authenticator does) instead of at a participant's first spawn.
    """
    problems = []
    prefix = "c.HubTypeSpawnerMixin"
    types = [t.value for t in HubType]
    default_type = section.get("default_hub_type")
    if default_type is not None and str(default_type).lower() not in types:
        problems.append(f"{prefix}.default_hub_type: {default_type!r} is not one of {types}")
    unassigned = section.get("unassigned_hub_type")
    if unassigned is not None and str(unassigned).lower() not in ("community", "binder", "refuse"):
        problems.append(
            f"{prefix}.unassigned_hub_type: {unassigned!r} is not community, binder or refuse"
        )
    overrides = section.get("policy_overrides")
    if overrides is not None:
        try:
            apply_overrides(DEFAULT_POLICIES, overrides)
        except (ValueError, TypeError, AttributeError) as e:
            problems.append(f"{prefix}.policy_overrides: {e}")
    return problems


class SpawnRefused(Exception):
    """The user may not start a server now; the message is shown to them."""


@dataclass(frozen=True)
class ResolverConfig:
    default_type: HubType = HubType.community
    # what a user without a workshop gets on a hub whose default is "workshop"
    unassigned: str = "community"  # "community" | "binder" | "refuse"
    policies: Mapping[HubType, HubTypePolicy] = field(default_factory=lambda: DEFAULT_POLICIES)


@dataclass(frozen=True)
class Resolution:
    """One user's hub type and the facts their storage is derived from."""

    username: str
    user_dir: str  # the username made safe for paths and labels (storage.slugs)
    policy: HubTypePolicy
    role: str = ""  # "participant" | "instructor" for workshop users, else ""
    workshop: WorkshopView | None = None
    workshop_dir: str = ""  # the workshop slug made safe the same way
    locks_at: datetime | None = None

    @property
    def hub_type(self) -> HubType:
        return self.policy.hub_type


def resolve(
    config: ResolverConfig,
    username: str,
    account: AccountView | None,
    now: datetime,
    *,
    check_access: bool = True,
) -> Resolution:
    """The hub type and storage facts for ``username``.

    With ``check_access`` (at spawn), raises :class:`SpawnRefused` for a disabled
    account, a participant past their lock time, anyone in a workshop past its
    delete date, and workshop-less users on a workshop hub set to ``refuse``.
    Without it (deciding what to delete) it only says where the storage is.
    """
    user_dir = safe_slug(username)
    if check_access and account is not None and account.disabled:
        raise SpawnRefused(f"The account {username} is disabled.")
    workshop = account.workshop if account is not None else None
    if account is not None and workshop is not None:
        role = "participant" if account.role == "participant" else "instructor"
        locks_at = as_utc(account.expires_at or workshop.ends_at)
        if check_access and as_utc(workshop.delete_after) <= now:
            raise SpawnRefused(
                f"The workshop {workshop.title or workshop.slug} is over and its data "
                "has been scheduled for deletion."
            )
        if check_access and role == "participant" and locks_at <= now:
            raise SpawnRefused(
                f"Your access to the workshop {workshop.title or workshop.slug} "
                f"ended on {locks_at:%Y-%m-%d %H:%M} UTC."
            )
        return Resolution(
            username=username,
            user_dir=user_dir,
            policy=config.policies[HubType.workshop],
            role=role,
            workshop=workshop,
            workshop_dir=safe_slug(workshop.slug),
            locks_at=locks_at,
        )
    hub_type = config.default_type
    if hub_type == HubType.workshop:
        # a workshop hub's own admins have no workshop: they get the fallback type
        if config.unassigned == "refuse":
            if not check_access:
                return Resolution(
                    username=username, user_dir=user_dir, policy=config.policies[hub_type]
                )
            raise SpawnRefused(
                f"{username} does not belong to a workshop on this hub, so has no server."
            )
        hub_type = HubType(config.unassigned)
    return Resolution(username=username, user_dir=user_dir, policy=config.policies[hub_type])


def spawn_environment(res: Resolution) -> dict[str, str]:
    """Variables a notebook can read to tell users what hub they are on and when data goes."""
    env = dict(res.policy.environment)
    env["HUBTYPES_TYPE"] = res.hub_type.value
    ws = res.workshop
    env["HUBTYPES_ROLE"] = res.role
    env["HUBTYPES_WORKSHOP"] = res.workshop_dir
    env["HUBTYPES_WORKSHOP_TITLE"] = ws.title if ws else ""
    env["HUBTYPES_LOCKS_AT"] = res.locks_at.isoformat() if res.locks_at else ""
    env["HUBTYPES_DELETE_AFTER"] = as_utc(ws.delete_after).isoformat() if ws else ""
    return env


__all__ = [
    "DEFAULT_POLICIES",
    "HubType",
    "HubTypePolicy",
    "Resolution",
    "ResolverConfig",
    "SpawnRefused",
    "StorageAction",
    "apply_overrides",
    "config_problems",
    "resolve",
    "spawn_environment",
]
