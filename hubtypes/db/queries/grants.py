"""Grants: which identities (logged in by another authenticator) may use which workshop."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, select, update
from sqlalchemy.orm import Session

from hubtypes.access.grants import GrantView, Identity, Standing
from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, Grant, Workshop
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.views import WORKSHOP_COLUMNS, workshop_view
from hubtypes.db.queries.workshops import require_open_workshop, require_workshop
from hubtypes.errors import NotFound

_COLUMNS = (
    Grant.identity,
    Grant.expires_at,
    Grant.role,
    Grant.standing,
    Grant.last_login_at,
    Grant.locked_at,
    Grant.created_at,
    Grant.created_by,
    *WORKSHOP_COLUMNS,
)


class Keep:
    """update_grant's "leave this as it is" (None means clear)."""


KEEP = Keep()


def _select() -> Select[Any]:
    columns: list[Any] = list(_COLUMNS)
    return (
        select(*columns).join(Workshop, Grant.workshop_id == Workshop.id).order_by(Grant.identity)
    )


def _view(row: Any) -> GrantView:
    def aware(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    return GrantView(
        identity=row.identity,
        workshop=workshop_view(row),
        expires_at=aware(row.expires_at),
        standing=Standing(row.standing or ""),
        last_login_at=aware(row.last_login_at),
        locked_at=aware(row.locked_at),
        created_at=aware(row.created_at),
        created_by=row.created_by,
        role=row.role,
    )


def grant_for(conn: Session | Connection, identity: str) -> GrantView | None:
    """The grant of ``identity`` (the hub's username), or None: the login's one query."""
    row = conn.execute(_select().where(Grant.identity == identity)).one_or_none()
    return _view(row) if row is not None else None


def list_grants(session: Session, slug: str | None = None) -> list[GrantView]:
    """The grants of workshop ``slug`` (None: of every workshop)."""
    stmt = _select()
    if slug is not None:
        stmt = stmt.where(Grant.workshop_id == require_workshop(session, slug).id)
    return [_view(row) for row in session.execute(stmt)]


def granted_workshops(session: Session, identities: Iterable[str]) -> dict[str, str]:
    """identity -> the slug of its workshop, for those among ``identities`` with a grant."""
    stmt = (
        select(Grant.identity, Workshop.slug)
        .join(Workshop, Grant.workshop_id == Workshop.id)
        .where(Grant.identity.in_(list(identities)))
    )
    return {identity: slug for identity, slug in session.execute(stmt)}


def account_names(session: Session, identities: Iterable[str]) -> set[str]:
    """Those of ``identities`` that have an access-code account."""
    stmt = select(Account.username).where(Account.username.in_(list(identities)))
    return set(session.scalars(stmt))


def add_grants(
    session: Session,
    slug: str,
    identities: Sequence[Identity],
    *,
    expires_at: datetime | None,
    actor: str,
    now: datetime,
    role: str = "participant",
) -> tuple[list[str], list[str]]:
    """Grant workshop ``slug`` to ``identities`` (already checked) with ``role``;
    (added, already there: those keep their grant as it is). A workshop being reset or
    purged takes none (409), as it takes no accounts."""
    workshop = require_open_workshop(session, slug)
    names = [i.name for i in identities]
    present = set(granted_workshops(session, names))
    added = [n for n in names if n not in present]
    if added:
        rows = [
            {
                "identity": name,
                "workshop_id": workshop.id,
                "expires_at": to_db(expires_at) if expires_at else None,
                "role": role,
                "standing": "",
                "created_at": to_db(now),
                "created_by": actor,
            }
            for name in added
        ]
        session.execute(insert(Grant), rows)
    changed = {i.name: i.given.strip() for i in identities if i.changed and i.name in added}
    audit(
        session,
        actor=actor,
        action="grants.add",
        target=slug,
        now=now,
        details={
            "identities": added,
            "role": role,
            "normalised": changed,
            "already": sorted(present),
        },
    )
    return added, sorted(present)


def _require(session: Session, slug: str, identity: str) -> Grant:
    workshop = require_workshop(session, slug)
    grant = session.scalars(
        select(Grant).where(Grant.identity == identity, Grant.workshop_id == workshop.id)
    ).one_or_none()
    if grant is None:
        raise NotFound("identity", f"workshop {slug!r} has no grant for {identity!r}")
    return grant


def update_grant(
    session: Session,
    slug: str,
    identity: str,
    *,
    expires_at: datetime | None | Keep = KEEP,
    role: str | None = None,
    actor: str,
    now: datetime,
) -> GrantView:
    """Set (or with None clear) one grant's own lock time, and/or change its role."""
    grant = _require(session, slug, identity)
    details: dict[str, Any] = {"workshop": slug}
    if not isinstance(expires_at, Keep):
        grant.expires_at = to_db(expires_at) if expires_at else None
        details["expires_at"] = as_utc(expires_at).isoformat() if expires_at else None
    if role is not None:
        grant.role = role
        details["role"] = role
    audit(session, actor=actor, action="grant.update", target=identity, now=now,
          details=details)  # fmt: skip
    session.flush()
    view = grant_for(session, identity)
    assert view is not None
    return view


def grant_row(session: Session, slug: str, identity: str) -> GrantView:
    _require(session, slug, identity)
    view = grant_for(session, identity)
    assert view is not None
    return view


def delete_grant(session: Session, identity: str, *, actor: str, now: datetime) -> bool:
    """Remove the grant of ``identity``; False if there was none."""
    view = grant_for(session, identity)
    if view is None:
        return False
    session.execute(delete(Grant).where(Grant.identity == identity))
    audit(session, actor=actor, action="grant.delete", target=identity, now=now,
          details={"workshop": view.workshop.slug, "standing": view.standing.value})  # fmt: skip
    return True


def record_login(
    conn: Session | Connection, identity: str, standing: Standing, now: datetime
) -> None:
    """What the base authenticator said at this login, and when it was."""
    conn.execute(
        update(Grant)
        .where(Grant.identity == identity)
        .values(standing=standing.value, last_login_at=to_db(now))
    )


def guests(conn: Session | Connection) -> set[str]:
    """Identities only a grant lets in (the hub must not count them as its own users)."""
    stmt = select(Grant.identity).where(Grant.standing == Standing.guest.value)
    return set(conn.scalars(stmt))


def set_locked(session: Session, identities: Sequence[str], now: datetime | None) -> None:
    """Mark grants locked (their servers stopped) at ``now``; None forgets the mark."""
    if identities:
        session.execute(
            update(Grant)
            .where(Grant.identity.in_(list(identities)))
            .values(locked_at=to_db(now) if now else None)
        )


__all__ = [
    "KEEP",
    "account_names",
    "add_grants",
    "delete_grant",
    "grant_for",
    "grant_row",
    "granted_workshops",
    "guests",
    "list_grants",
    "record_login",
    "set_locked",
    "update_grant",
]
