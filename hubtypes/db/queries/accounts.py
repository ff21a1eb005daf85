"""Reads and writes of hubtypes' database, shared by the authenticator, CLI and services.

Every function takes an open :class:`~sqlalchemy.orm.Session` (one transaction,
see :meth:`hubtypes.db.engine.Database.session`) and an explicit ``now``; none
of them commits, so callers decide what is atomic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select
from sqlalchemy.orm import Session, joinedload

from hubtypes.access.codes import generate_code, hash_code
from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, AuditEvent, Role, Workshop
from hubtypes.db.queries.logins import account_for_login, forget_failures, user_key
from hubtypes.records import AccountView, WorkshopView


class StoreError(ValueError):
    """Bad input, with the field it concerns; nothing has been written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NewCredential:
    """A just-created account's username and code: shown once, never stored in clear."""

    username: str
    code: str
    role: str
    workshop: str | None
    expires_at: datetime | None


# --- views ------------------------------------------------------------------


def workshop_view(w: Workshop) -> WorkshopView:
    return WorkshopView(
        slug=w.slug,
        title=w.title,
        starts_at=as_utc(w.starts_at),
        ends_at=as_utc(w.ends_at),
        delete_after=as_utc(w.delete_after),
    )


def _account_view(a: Account) -> AccountView:
    return AccountView(
        username=a.username,
        role=a.role.value,
        workshop=workshop_view(a.workshop) if a.workshop is not None else None,
        expires_at=as_utc(a.expires_at) if a.expires_at else None,
        disabled=a.disabled,
        last_login_at=as_utc(a.last_login_at) if a.last_login_at else None,
        created_at=as_utc(a.created_at) if a.created_at else None,
        created_by=a.created_by,
    )


def _get_account(session: Session, username: str) -> Account | None:
    stmt = select(Account).options(joinedload(Account.workshop)).where(Account.username == username)
    return session.scalars(stmt).one_or_none()


def account_view(session: Session | Connection, username: str) -> AccountView | None:
    """The account called ``username`` with its workshop, or None if hubtypes has none."""
    found = account_for_login(session, username)
    return found[0] if found else None


def get_workshop(session: Session, slug: str) -> Workshop | None:
    return session.scalars(select(Workshop).where(Workshop.slug == slug)).one_or_none()


def require_workshop(session: Session, slug: str) -> Workshop:
    workshop = get_workshop(session, slug)
    if workshop is None:
        raise StoreError(
            "workshop", f"no workshop {slug!r}; `hubtypes workshop list` shows the workshops"
        )
    return workshop


def list_workshops(session: Session) -> list[tuple[WorkshopView, dict[str, int]]]:
    """Every workshop with its account counts per role, by start date."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Account.workshop_id, Account.role, func.count()).group_by(
            Account.workshop_id, Account.role
        )
    )
    for workshop_id, role, n in rows:
        if workshop_id is not None:
            counts.setdefault(workshop_id, {})[role.value] = n
    workshops = session.scalars(select(Workshop).order_by(Workshop.starts_at, Workshop.slug))
    return [(workshop_view(w), counts.get(w.id, {})) for w in workshops]


def list_accounts(session: Session, slug: str | None) -> list[AccountView]:
    """Accounts of one workshop (or, with ``None``, the hub-wide admin accounts)."""
    stmt = select(Account).options(joinedload(Account.workshop)).order_by(Account.username)
    if slug is None:
        stmt = stmt.where(Account.workshop_id.is_(None))
    else:
        stmt = stmt.where(Account.workshop_id == require_workshop(session, slug).id)
    return [_account_view(a) for a in session.scalars(stmt)]


def select_audit(
    *, target: str | None = None, actor: str | None = None, limit: int | None = None
) -> Select[Any]:
    """Audit events, newest first, optionally for one target or actor."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if target is not None:
        stmt = stmt.where(AuditEvent.target == target)
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    return stmt.limit(limit) if limit else stmt


# --- writes -----------------------------------------------------------------


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Record who did what to what. Never put codes or secrets in ``details``."""
    session.add(
        AuditEvent(at=to_db(now), actor=actor, action=action, target=target, details=details or {})
    )


def create_workshop(
    session: Session,
    *,
    slug: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    delete_after: datetime,
    created_by: str,
    now: datetime,
) -> WorkshopView:
    """Add a workshop (already validated by :mod:`hubtypes.inputs`)."""
    if get_workshop(session, slug) is not None:
        raise StoreError("slug", f"a workshop {slug!r} exists already; choose another slug")
    workshop = Workshop(
        slug=slug,
        title=title,
        starts_at=to_db(starts_at),
        ends_at=to_db(ends_at),
        delete_after=to_db(delete_after),
        created_by=created_by,
        created_at=to_db(now),
    )
    session.add(workshop)
    audit(
        session,
        actor=created_by,
        action="workshop.create",
        target=slug,
        now=now,
        details={
            "title": title,
            "starts_at": as_utc(starts_at).isoformat(),
            "ends_at": as_utc(ends_at).isoformat(),
            "delete_after": as_utc(delete_after).isoformat(),
        },
    )
    session.flush()
    return workshop_view(workshop)


def existing_usernames(session: Session, names: Iterable[str] | None = None) -> set[str]:
    """Usernames hubtypes already has (all, or those among ``names``)."""
    stmt = select(Account.username)
    if names is not None:
        stmt = stmt.where(Account.username.in_(list(names)))
    return set(session.scalars(stmt))


def usernames_with_prefix(session: Session, prefix: str) -> set[str]:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(Account.username).where(Account.username.like(f"{escaped}%", escape="\\"))
    return set(session.scalars(stmt))


def create_accounts(
    session: Session,
    *,
    usernames: Sequence[str],
    workshop: str | None,
    role: Role,
    expires_at: datetime | None,
    created_by: str,
    now: datetime,
) -> list[NewCredential]:
    """Create accounts with fresh codes in one go; returns the codes (shown once).

    Names must already be validated; a name that exists raises StoreError and
    nothing is written (the caller's transaction rolls back).
    """
    taken = existing_usernames(session, usernames)
    if taken:
        raise StoreError("usernames", f"already exist: {', '.join(sorted(taken))}")
    workshop_row = require_workshop(session, workshop) if workshop else None
    credentials = [
        NewCredential(name, generate_code(), role.value, workshop, expires_at) for name in usernames
    ]
    rows = [
        {
            "username": c.username,
            "workshop_id": workshop_row.id if workshop_row else None,
            "role": role,
            "code_hash": hash_code(c.code),
            "expires_at": to_db(expires_at) if expires_at else None,
            "created_at": to_db(now),
            "created_by": created_by,
            "disabled": False,
        }
        for c in credentials
    ]
    # one executemany: 1,000 accounts are one round trip, not 1,000
    session.execute(insert(Account), rows)
    audit(
        session,
        actor=created_by,
        action="accounts.create",
        target=workshop or "(hub)",
        now=now,
        details={"role": role.value, "count": len(usernames), "usernames": list(usernames)},
    )
    return credentials


def reissue_codes(
    session: Session, usernames: Sequence[str], *, actor: str, now: datetime
) -> list[NewCredential]:
    """New codes for existing accounts (the old ones stop working); shown once."""
    accounts = session.scalars(
        select(Account).options(joinedload(Account.workshop)).where(Account.username.in_(usernames))
    ).all()
    missing = set(usernames) - {a.username for a in accounts}
    if missing:
        raise StoreError("usernames", f"no such accounts: {', '.join(sorted(missing))}")
    credentials = []
    for account in accounts:
        code = generate_code()
        account.code_hash = hash_code(code)
        workshop = account.workshop.slug if account.workshop else None
        expires = as_utc(account.expires_at) if account.expires_at else None
        credentials.append(
            NewCredential(account.username, code, account.role.value, workshop, expires)
        )
    audit(
        session, actor=actor, action="accounts.reissue", target=",".join(sorted(usernames)), now=now
    )
    return sorted(credentials, key=lambda c: c.username)


def delete_account(session: Session, username: str, *, actor: str, now: datetime) -> bool:
    """Remove an account (its code with it); False if there was none."""
    account = _get_account(session, username)
    if account is None:
        return False
    workshop = account.workshop.slug if account.workshop else None
    session.delete(account)
    forget_failures(session, user_key(username))
    audit(
        session,
        actor=actor,
        action="account.delete",
        target=username,
        now=now,
        details={"workshop": workshop, "role": account.role.value},
    )
    return True
