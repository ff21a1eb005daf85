"""Workshop grants for identities another authenticator logs in (GitHub, CILogon, Google...).

A *grant* names an identity — the username the hub's authenticator produces after
``normalize_username`` (a GitHub login, an email) — and the workshop it may use. Pure
functions of a :class:`GrantView` and ``now``:

- who may log in when (:func:`login_decision`): whoever the base authenticator allows
  (a *community* member) always; an identity it refuses (a *guest*) from the workshop's
  opening to its lock, on its grant alone;
- whose session ends at the lock (:func:`keeps_session`): guests only;
- which of a user's servers is the workshop's (:func:`workshop_account_for_server`): a
  guest's every server; a community member's ``workshop-<slug>`` named server only;
- how a typed identity becomes the hub's name (:func:`normalize_identity`), the same way
  the hub's default ``normalize_username`` does it (strip, lowercase);
- the groups an instructor's login carries (:func:`with_instructors_group`).

A grant has a role, as an access-code account has: ``participant`` (the default) or
``instructor``. An instructor is staff, as with accounts (:mod:`hubtypes.access.expiry`):
they may log in before the workshop opens and after its lock, until the purge or their
grant's own end, and they manage the workshop in the workshop service.

The lock and purge decisions over many grants are in :mod:`hubtypes.lifecycle.grants`.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hubtypes.access.expiry import AccountStatus, account_status
from hubtypes.errors import InputError
from hubtypes.records import AccountView, WorkshopView

WORKSHOP_SERVER_PREFIX = "workshop-"
MAX_IDENTITY = 255  # the column's length
# identities one request or roster may name: the accounts' limit (hubtypes.inputs.MAX_NAMED,
# a layer above this one; tests/access/test_grant_limits.py keeps them equal), as the hub is
# asked about each of them; more: split the roster
MAX_GRANTS = 1000
GRANT_ROLES = ("participant", "instructor")


class Standing(str, enum.Enum):
    """What the base authenticator said at the identity's last login."""

    unknown = ""  # never logged in since the grant was made
    community = "community"  # the base authenticator allows them on its own
    guest = "guest"  # only the grant lets them in


@dataclass(frozen=True)
class GrantView:
    identity: str
    workshop: WorkshopView
    expires_at: datetime | None = None  # the grant's own lock time (aware UTC)
    standing: Standing = Standing.unknown
    last_login_at: datetime | None = None
    locked_at: datetime | None = None  # when the service locked it (servers, tokens)
    created_at: datetime | None = None
    created_by: str = ""
    role: str = "participant"  # or "instructor" (GRANT_ROLES)


def as_account(grant: GrantView) -> AccountView:
    """The grant as a participant account: the same dates and messages as access codes."""
    return AccountView(
        username=grant.identity,
        role=grant.role,
        workshop=grant.workshop,
        expires_at=grant.expires_at,
        last_login_at=grant.last_login_at,
        created_at=grant.created_at,
        created_by=grant.created_by,
    )


def grant_status(grant: GrantView, now: datetime) -> AccountStatus:
    return account_status(as_account(grant), now)


@dataclass(frozen=True)
class LoginDecision:
    allowed: bool
    standing: Standing | None  # what to record for the grant (None: no grant, nothing)
    message: str = ""  # why a granted identity is refused now (empty: the base's refusal)

    @property
    def by_grant(self) -> bool:
        return self.allowed and self.standing is Standing.guest


def login_decision(base_allowed: bool, grant: GrantView | None, now: datetime) -> LoginDecision:
    """Whether an identity may log in at ``now``, given the base authenticator's answer."""
    if base_allowed:
        return LoginDecision(True, Standing.community if grant is not None else None)
    if grant is None:
        return LoginDecision(False, None)
    status = grant_status(grant, now)
    if status.can_log_in:
        return LoginDecision(True, Standing.guest)
    return LoginDecision(False, Standing.guest, status.message)


def keeps_session(grant: GrantView | None, now: datetime) -> bool:
    """False when a guest's grant has locked: the hub then ends their session.

    Community members (and identities never seen) keep theirs: a workshop never locks
    out someone the base authenticator allows.
    """
    if grant is None or grant.standing is not Standing.guest:
        return True
    return grant_status(grant, now).can_log_in


def workshop_server_name(slug: str) -> str:
    """The named server a community member gets for a workshop: ``workshop-<slug>``."""
    return f"{WORKSHOP_SERVER_PREFIX}{slug}"


def grant_json(grant: GrantView, now: datetime) -> dict[str, Any]:
    status = grant_status(grant, now)
    guest = grant.standing is Standing.guest

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "identity": grant.identity,
        "workshop": grant.workshop.slug,
        "role": grant.role,
        "status": status.state.value,
        "standing": grant.standing.value or "not-seen",
        # the server the workshop runs in: a guest's default one, else its own named one
        "server": "" if guest else workshop_server_name(grant.workshop.slug),
        "expires_at": iso(grant.expires_at),
        "last_login_at": iso(grant.last_login_at),
        "locked_at": iso(grant.locked_at),
        "created_by": grant.created_by,
    }


def is_workshop_server(grant: GrantView, server_name: str) -> bool:
    """Whether ``server_name`` of the grant's user is the workshop's server."""
    if grant.standing is Standing.guest:
        return True  # a guest has no community home: all their servers are the workshop's
    return server_name == workshop_server_name(grant.workshop.slug)


def workshop_account_for_server(grant: GrantView | None, server_name: str) -> AccountView | None:
    """The workshop account a server is spawned as, or None (a community server)."""
    if grant is None or not is_workshop_server(grant, server_name):
        return None
    return as_account(grant)


def check_role(value: object) -> str:
    """A grant's role from a request; :class:`InputError` naming the field otherwise."""
    role = "participant" if value in (None, "") else value
    if role not in GRANT_ROLES:
        raise InputError("role", f"{value!r} is not a grant role; use participant or instructor")
    return str(role)


def with_instructors_group(groups: Iterable[str], group: str, instructor: bool) -> list[str]:
    """``groups`` with ``group`` (the service's instructors group) iff ``instructor``.

    The group mirrors hubtypes' database at each login: whoever instructs a workshop
    (an instructor grant or account) is in it, nobody else, whatever was there before.
    """
    kept = [g for g in groups if g != group]
    return [*kept, group] if instructor else kept


# --- identities as people type them -------------------------------------------------


class IdentityKind(str, enum.Enum):
    """What the hub's authenticator calls people."""

    any = "any"
    login = "login"  # a provider login (GitHub, GitLab): no '@'
    email = "email"  # an email (Google, CILogon with email claims)


@dataclass(frozen=True)
class IdentityRules:
    """How the hub's authenticator normalises names (keep in step with the hub's config)."""

    kind: IdentityKind = IdentityKind.any
    lowercase: bool = True  # JupyterHub's default normalize_username lowercases
    username_map: tuple[tuple[str, str], ...] = ()  # c.Authenticator.username_map, lowercased


@dataclass(frozen=True)
class Identity:
    name: str  # as the hub will see it
    given: str  # as typed
    notes: tuple[str, ...] = ()  # what changed and why, for the person

    @property
    def changed(self) -> bool:
        return self.name != self.given


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FIELD = "identities"


def normalize_identity(raw: str, rules: IdentityRules = IdentityRules()) -> Identity:
    """``raw`` as the hub's authenticator will name it; :class:`InputError` if it cannot be one."""
    notes: list[str] = []
    name = raw.strip()
    if name != raw:
        notes.append("surrounding spaces removed")
    if not name:
        raise InputError(_FIELD, "an empty identity; give a login or an email per line")
    if any(c.isspace() for c in name):
        raise InputError(_FIELD, f"{name!r} contains spaces; no login or email does")
    if "/" in name or len(name) > MAX_IDENTITY:
        raise InputError(_FIELD, f"{name!r} cannot be a hub username ('/' or too long)")
    if rules.lowercase and name != name.lower():
        name = name.lower()
        notes.append("lowercased, as the hub does")
    mapped = dict(rules.username_map).get(name)
    if mapped is not None and mapped != name:
        notes.append(f"mapped by username_map from {name!r}")
        name = mapped
    if rules.kind is IdentityKind.login and "@" in name:
        raise InputError(
            _FIELD, f"{name!r} is an email, but this hub logs people in by their provider login"
        )
    if rules.kind is IdentityKind.email and not _EMAIL.match(name):
        raise InputError(_FIELD, f"{name!r} is not an email, which is how this hub names people")
    return Identity(name, raw, tuple(notes))


def check_identities(raws: Iterable[str], rules: IdentityRules = IdentityRules()) -> list[Identity]:
    """Each identity normalised once, in order; two spellings of one name become one."""
    seen: dict[str, Identity] = {}
    for raw in raws:
        identity = normalize_identity(raw, rules)
        if identity.name in seen:
            first = seen[identity.name]
            note = f"also given as {raw.strip()!r}"
            seen[identity.name] = replace(first, notes=(*first.notes, note))
        else:
            seen[identity.name] = identity
    if not seen:
        raise InputError(_FIELD, "give at least one login or email")
    if len(seen) > MAX_GRANTS:
        many = f"{len(seen)} identities in one request"
        raise InputError(_FIELD, f"{many}; give at most {MAX_GRANTS} (split the roster)")
    return list(seen.values())


ROSTER_COLUMNS = ("identity", "username", "login", "github", "email", "name")


def parse_roster(text: str) -> list[str]:
    """Identities from a roster: a CSV with one of :data:`ROSTER_COLUMNS` as a header, or
    one identity per line (commas also separate). Blank lines and ``#`` comments are skipped.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return []
    header = [h.strip().lower() for h in next(csv.reader([lines[0]]))]
    column = next((c for c in ROSTER_COLUMNS if c in header), None)
    if column is None:  # no header: identities, one per line or comma-separated
        return [part for line in lines for part in line.split(",") if part.strip()]
    index = header.index(column)
    rows = csv.reader(io.StringIO("\n".join(lines[1:])))
    return [row[index] for row in rows if len(row) > index and row[index].strip()]


@dataclass(frozen=True)
class GrantRefusal:
    identity: str
    message: str


def grant_refusals(
    identities: Iterable[str],
    slug: str,
    *,
    admins: Iterable[str],
    accounts: Iterable[str],
    granted: dict[str, str],
) -> list[GrantRefusal]:
    """Why some identities cannot be granted workshop ``slug``.

    ``admins``: the hub's admins (always let in, never locked out: a grant means nothing);
    ``accounts``: names with a hubtypes access-code account; ``granted``: identity -> the
    slug of the workshop it already has a grant for (one workshop per identity).
    """
    admin_set, account_set = set(admins), set(accounts)
    refusals = []
    for name in identities:
        if name in admin_set:
            message = "is a hub admin: admins always have access, so a grant would change nothing"
        elif name in account_set:
            message = "has an access-code account already; one way in per person"
        elif granted.get(name, slug) != slug:
            message = (
                f"is already granted workshop {granted[name]!r}; an identity joins one "
                "workshop at a time (remove that grant, or wait for its purge)"
            )
        else:
            continue
        refusals.append(GrantRefusal(name, message))
    return refusals


__all__ = [
    "GRANT_ROLES",
    "GrantRefusal",
    "GrantView",
    "Identity",
    "IdentityKind",
    "IdentityRules",
    "LoginDecision",
    "Standing",
    "WORKSHOP_SERVER_PREFIX",
    "as_account",
    "check_identities",
    "check_role",
    "grant_refusals",
    "grant_status",
    "is_workshop_server",
    "keeps_session",
    "login_decision",
    "normalize_identity",
    "parse_roster",
    "workshop_account_for_server",
    "with_instructors_group",
    "workshop_server_name",
]
