"""The culler's policies: what it does to each kind of user, and the overrides. Pure: no I/O.

Policies are keyed by *kind* — ``community``, ``workshop-participant``,
``workshop-instructor``, ``binder`` — and overridden per workshop, per hub group and per
profile (the server's ``user_options["profile"]``), in that order (the last one wins).
Every configuration mistake is a ValueError naming ``c.CullerService.<trait>[key]``.
The decisions that use them are in :mod:`hubtypes.lifecycle.culling`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from hubtypes.storage.hub_types import HubType, Resolution

KINDS = ("community", "workshop-participant", "workshop-instructor", "binder")


@dataclass(frozen=True)
class CullPolicy:
    """What the culler does to one kind of user's servers (times in seconds)."""

    idle_timeout: float  # stop a server idle this long
    max_age: float = 0.0  # stop a server this old even if active or busy (0: never)
    remove_named: bool = False  # remove culled named servers, not only stop them
    delete_user: bool = False  # delete the user once none of their servers runs
    cull: bool = True  # whether this kind's servers are culled at all


DEFAULT_POLICIES: Mapping[str, CullPolicy] = {
    "community": CullPolicy(idle_timeout=3600),
    "workshop-participant": CullPolicy(idle_timeout=1800),
    "workshop-instructor": CullPolicy(idle_timeout=3600),
    # BinderHub culls at 10 min idle and 6 h age; anonymous identities are ephemeral
    "binder": CullPolicy(idle_timeout=600, max_age=6 * 3600, remove_named=True, delete_user=True),
}

_FIELDS = {f.name for f in fields(CullPolicy)}


def _checked(where: str, base: CullPolicy, changes: Mapping[str, Any]) -> CullPolicy:
    unknown = set(changes) - _FIELDS
    if unknown:
        raise ValueError(
            f"{where}: unknown field(s) {sorted(unknown)} (expected {', '.join(sorted(_FIELDS))})"
        )
    typed: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("idle_timeout", "max_age"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where}.{key} must be a number of seconds, not {value!r}")
            typed[key] = float(value)
        else:
            if not isinstance(value, bool):
                raise ValueError(f"{where}.{key} must be True or False, not {value!r}")
            typed[key] = value
    policy = replace(base, **typed)
    check_policy(where, policy)
    return policy


def check_policy(where: str, policy: CullPolicy) -> None:
    """Raise ValueError naming ``where`` for a timeout ≤ 0 or a max age below the timeout."""
    if policy.idle_timeout <= 0:
        raise ValueError(
            f"{where}.idle_timeout must be more than 0 seconds, not {policy.idle_timeout:g} "
            "(set cull=False to keep these servers)"
        )
    if policy.max_age < 0:
        raise ValueError(f"{where}.max_age must be 0 (no limit) or more, not {policy.max_age:g}")
    if policy.max_age and policy.max_age < policy.idle_timeout:
        raise ValueError(
            f"{where}.max_age ({policy.max_age:g} s) is below idle_timeout "
            f"({policy.idle_timeout:g} s): raise max_age or set it to 0"
        )


@dataclass(frozen=True)
class CullConfig:
    """Every policy and override, validated (build it with :func:`make_config`)."""

    policies: Mapping[str, CullPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    by_workshop: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    by_group: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    by_profile: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def make_config(
    policies: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    by_workshop: Mapping[str, Mapping[str, Any]] | None = None,
    by_group: Mapping[str, Mapping[str, Any]] | None = None,
    by_profile: Mapping[str, Mapping[str, Any]] | None = None,
    base: Mapping[str, CullPolicy] = DEFAULT_POLICIES,
    prefix: str = "c.CullerService",
    profiles: Sequence[str] | None = None,
) -> CullConfig:
    """Validate configuration; every error names ``{prefix}.<trait>[key]`` and the fix.

    ``profiles``, when given, are the profile names that exist: an override for another
    one is an error (a typo would otherwise silently apply to nobody).
    """
    result = dict(base)
    for kind, changes in (policies or {}).items():
        if kind not in KINDS:
            raise ValueError(
                f"{prefix}.policies[{kind!r}]: unknown kind (expected one of {', '.join(KINDS)})"
            )
        result[kind] = _checked(f"{prefix}.policies[{kind!r}]", result[kind], changes)
    overrides: dict[str, Mapping[str, Mapping[str, Any]]] = {}
    for trait, table in (
        ("workshop_overrides", by_workshop),
        ("group_overrides", by_group),
        ("profile_overrides", by_profile),
    ):
        for name, changes in (table or {}).items():
            where = f"{prefix}.{trait}[{name!r}]"
            if trait == "profile_overrides" and profiles is not None and name not in profiles:
                raise ValueError(
                    f"{where}: unknown profile (known: {', '.join(profiles) or 'none'})"
                )
            # validate against every kind it may apply to
            for kind in KINDS:
                _checked(where, result[kind], changes)
        overrides[trait] = dict(table or {})
    return CullConfig(
        policies=result,
        by_workshop=overrides["workshop_overrides"],
        by_group=overrides["group_overrides"],
        by_profile=overrides["profile_overrides"],
    )


def kind_of(res: Resolution) -> str:
    """The policy kind of a resolved user."""
    if res.hub_type == HubType.workshop:
        return "workshop-participant" if res.role == "participant" else "workshop-instructor"
    return res.hub_type.value


def policy_for(
    config: CullConfig, res: Resolution, groups: Sequence[str] = (), profile: str = ""
) -> CullPolicy:
    """The policy for one server: its kind's, then workshop, group, profile overrides."""
    policy = config.policies[kind_of(res)]
    if res.workshop is not None and res.workshop.slug in config.by_workshop:
        policy = replace(policy, **_typed(config.by_workshop[res.workshop.slug]))
    for group in sorted(groups):
        if group in config.by_group:
            policy = replace(policy, **_typed(config.by_group[group]))
    if profile and profile in config.by_profile:
        policy = replace(policy, **_typed(config.by_profile[profile]))
    return policy


def _typed(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: float(v) if k in ("idle_timeout", "max_age") else v for k, v in changes.items()}


def apply_legacy(
    base: Mapping[str, CullPolicy],
    *,
    timeout: float | None = None,
    max_age: float | None = None,
    cull_users: bool | None = None,
    remove_named_servers: bool | None = None,
    prefix: str = "c.CullerService",
) -> dict[str, CullPolicy]:
    """jupyterhub-idle-culler's options, with its meaning, applied to every kind.

    ``timeout``/``max_age``: every kind's idle timeout / max age. ``cull_users``: True lets
    workshop participants and binder users be deleted (never community users or admins;
    instructors keep their own policy), False deletes nobody. ``None`` leaves the default.
    """
    if timeout is not None and timeout <= 0:
        raise ValueError(f"{prefix}.timeout (--timeout) must be more than 0 seconds, not {timeout}")
    if max_age is not None and max_age < 0:
        raise ValueError(
            f"{prefix}.max_age (--max-age) must be 0 (no limit) or more, not {max_age}"
        )
    result: dict[str, CullPolicy] = {}
    for kind, policy in base.items():
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["idle_timeout"] = float(timeout)
        if max_age is not None:
            changes["max_age"] = float(max_age)
        if cull_users is not None:
            may = cull_users and kind in ("workshop-participant", "binder")
            changes["delete_user"] = may
        if remove_named_servers is not None:
            changes["remove_named"] = remove_named_servers
        new = replace(policy, **changes)
        if new.max_age and new.max_age < new.idle_timeout:
            raise ValueError(
                f"{prefix}.max_age (--max-age={new.max_age:g}) is below the idle timeout of "
                f"{kind} ({new.idle_timeout:g} s): raise it, or set it to 0"
            )
        result[kind] = new
    return result


def possible_kinds(default_type: HubType, unassigned: str) -> set[str]:
    """The kinds of user a hub of ``default_type`` can have (workshop users on any hub)."""
    kinds = {"workshop-participant", "workshop-instructor"}
    if default_type == HubType.workshop:
        if unassigned in ("community", "binder"):
            kinds.add(unassigned)
    else:
        kinds.add(default_type.value)
    return kinds


def may_delete_users(config: CullConfig, kinds: Collection[str] = KINDS) -> bool:
    """Whether a policy of ``kinds`` or an override may delete a user (then the sweep also
    lists users without servers)."""
    tables = (config.by_workshop, config.by_group, config.by_profile)
    return any(
        p.delete_user for k, p in config.policies.items() if k != "community" and k in kinds
    ) or any(changes.get("delete_user") for t in tables for changes in t.values())


__all__ = [
    "DEFAULT_POLICIES",
    "KINDS",
    "CullConfig",
    "CullPolicy",
    "apply_legacy",
    "check_policy",
    "kind_of",
    "make_config",
    "may_delete_users",
    "policy_for",
    "possible_kinds",
]
