"""Accounts: created with fresh codes (shown once, stored hashed), listed, changed, deleted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from hubtypes.access.codes import generate_code, hash_code
from hubtypes.access.dates import credential_dates
from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, Grant, Reset, Role, Workshop
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.logins import forget_name
from hubtypes.db.queries.resets import RUNNING
from hubtypes.db.queries.views import account_view as _view
from hubtypes.db.queries.views import select_accounts, workshop_view
from hubtypes.db.queries.workshops import require_open_workshop, require_workshop
from hubtypes.errors import Conflict, NotFound
from hubtypes.records import AccountView, NewCredential


def account_view(session: Session | Connection, username: str) -> AccountView | None:
    """The account called ``username`` with its workshop, or None if hubtypes has none."""
    row = session.execute(select_accounts().where(Account.username == username)).one_or_none()
    return _view(row) if row is not None else None


def list_accounts(session: Session, slug: str | None) -> list[AccountView]:
    """Accounts of one workshop (or, with ``None``, the hub-wide admin accounts)."""
    stmt = select_accounts()
    if slug is None:
        stmt = stmt.where(Account.workshop_id.is_(None))
    else:
        stmt = stmt.where(Account.workshop_id == require_workshop(session, slug).id)
    return [_view(row) for row in session.execute(stmt)]


def workshop_accounts(session: Session) -> list[AccountView]:
    """Every account that belongs to a workshop (for the lifecycle task)."""
    stmt = select_accounts().where(Account.workshop_id.is_not(None))
    return [_view(row) for row in session.execute(stmt)]


def instructed_workshops(session: Session, username: str) -> set[str]:
    """Slugs of the workshops ``username`` is an instructor of (by an instructor account,
    or by an instructor grant on a hub whose own login names them)."""
    stmt = (
        select(Workshop.slug)
        .join(Account, Account.workshop_id == Workshop.id)
        .where(Account.username == username, Account.role == Role.instructor)
    )
    by_grant = (
        select(Workshop.slug)
        .join(Grant, Grant.workshop_id == Workshop.id)
        .where(Grant.identity == username, Grant.role == Role.instructor.value)
    )
    return set(session.scalars(stmt)) | set(session.scalars(by_grant))


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

    Names must already be validated; a name that exists raises :class:`Conflict` and
    nothing is written (the caller's transaction rolls back).
    """
    # first: a workshop being reset or purged takes no accounts (the row lock orders
    # this against a reset's start, so no account slips in behind its plan)
    workshop_row = require_open_workshop(session, workshop) if workshop else None
    taken = existing_usernames(session, usernames)
    if taken:
        raise Conflict("usernames", f"already exist: {', '.join(sorted(taken))}")
    dates = credential_dates(
        role.value, expires_at, workshop_view(workshop_row) if workshop_row else None
    )
    credentials = [
        NewCredential(name, generate_code(), role.value, workshop, expires_at, *dates)
        for name in usernames
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
    """New codes for existing accounts (the old ones stop working); shown once.

    Each account's ``code_issued_at`` becomes ``now``: the authenticator ends a hub
    session that logged in before it (see :func:`hubtypes.access.codes.session_predates_code`),
    and the name's login throttle is cleared (whoever lost the code may have guessed).
    """
    found = {a.username: a for a in list_named(session, usernames)}
    missing = set(usernames) - set(found)
    if missing:
        raise NotFound("usernames", f"no such accounts: {', '.join(sorted(missing))}")
    credentials = []
    for name in sorted(found):
        view, code = found[name], generate_code()
        session.execute(
            update(Account)
            .where(Account.username == name)
            .values(code_hash=hash_code(code), code_issued_at=to_db(now))
        )
        forget_name(session, name)
        workshop = view.workshop.slug if view.workshop else None
        dates = credential_dates(view.role, view.expires_at, view.workshop)
        credentials.append(NewCredential(name, code, view.role, workshop, view.expires_at, *dates))
    audit(
        session, actor=actor, action="accounts.reissue", target=",".join(sorted(usernames)), now=now
    )
    return credentials


def reissue_code(
    session: Session, slug: str, username: str, *, actor: str, now: datetime
) -> NewCredential:
    """A new code for one account of workshop ``slug`` (404 if it has no such account)."""
    _require_member(session, slug, username)
    [credential] = reissue_codes(session, [username], actor=actor, now=now)
    return credential


def clear_throttle(session: Session, slug: str, username: str, *, actor: str, now: datetime) -> int:
    """Forget the failed logins of one account of ``slug`` (audited); how many counters went.

    The name's own counter and its per-address ones go; an address's counter over every
    name stays (it is the guard against one machine trying many names).
    """
    _require_member(session, slug, username)
    cleared = forget_name(session, username)
    audit(session, actor=actor, action="account.throttle_cleared", target=username, now=now,
          details={"workshop": slug, "counters": cleared})  # fmt: skip
    return cleared


def _require_member(session: Session, slug: str, username: str) -> Account:
    """The account ``username`` of workshop ``slug``; NotFound (on ``username``) if it has none."""
    workshop = require_workshop(session, slug)
    account = session.scalars(
        select(Account).where(Account.username == username, Account.workshop_id == workshop.id)
    ).one_or_none()
    if account is None:
        raise NotFound("username", f"workshop {slug!r} has no account {username!r}")
    return account


def list_named(session: Session, usernames: Iterable[str]) -> list[AccountView]:
    """The accounts among ``usernames`` that exist."""
    stmt = select_accounts().where(Account.username.in_(list(usernames)))
    return [_view(row) for row in session.execute(stmt)]


def update_account(
    session: Session,
    slug: str,
    username: str,
    *,
    actor: str,
    now: datetime,
    expires_at: datetime | None = None,
    clear_expiry: bool = False,
    disabled: bool | None = None,
) -> AccountView:
    """Extend (own expiry) or disable/enable one account of workshop ``slug``."""
    account = _require_member(session, slug, username)
    details: dict[str, Any] = {}
    if clear_expiry:
        account.expires_at = None
        details["expires_at"] = None
    elif expires_at is not None:
        account.expires_at = to_db(expires_at)
        details["expires_at"] = as_utc(expires_at).isoformat()
    if disabled is not None:
        account.disabled = disabled
        details["disabled"] = disabled
    audit(session, actor=actor, action="account.update", target=username, now=now, details=details)
    session.flush()
    view = account_view(session, username)
    assert view is not None
    return view


def disable_accounts(session: Session, usernames: Sequence[str]) -> None:
    """Disable accounts at once (a reset stops new logins before it deletes)."""
    if usernames:
        session.execute(
            update(Account).where(Account.username.in_(list(usernames))).values(disabled=True)
        )


def delete_account(session: Session, username: str, *, actor: str, now: datetime) -> bool:
    """Remove an account (its code with it); False if there was none."""
    view = account_view(session, username)
    account = session.scalars(select(Account).where(Account.username == username)).one_or_none()
    if view is None or account is None:
        return False
    session.delete(account)
    forget_name(session, username)
    audit(
        session,
        actor=actor,
        action="account.delete",
        target=username,
        now=now,
        details={"workshop": view.workshop.slug if view.workshop else None, "role": view.role},
    )
    return True


def being_deleted(session: Session, username: str) -> bool:
    """Whether a running reset (or purge) is about to delete this account's data: the reset
    disabled the account when it started, in the same transaction that recorded it."""
    stmt = (
        select(Account.id)
        .join(Workshop, Account.workshop_id == Workshop.id)
        .join(Reset, Reset.workshop == Workshop.slug)
        .where(Account.username == username, Account.disabled.is_(True), Reset.state == RUNNING)
        .limit(1)
    )
    return session.execute(stmt).first() is not None
