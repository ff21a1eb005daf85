"""The workshop service's reads and writes of hubtypes' database.

Like :mod:`hubtypes.db.queries.accounts`: each function takes an open session (one
transaction) and an explicit ``now``, and none commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, joinedload

from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, Role, Workshop
from hubtypes.db.queries.accounts import (
    StoreError,
    _account_view,
    audit,
    require_workshop,
    workshop_view,
)
from hubtypes.db.reset_models import AccountLock, Reset
from hubtypes.records import AccountView, WorkshopView

RUNNING = "running"
DONE = "done"
FAILED = "failed"


# --- workshops ------------------------------------------------------------------


def update_workshop(
    session: Session,
    slug: str,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    delete_after: datetime,
    actor: str,
    now: datetime,
) -> WorkshopView:
    """Change a workshop's title and dates (already validated)."""
    workshop = require_workshop(session, slug)
    before = workshop_view(workshop)
    workshop.title = title
    workshop.starts_at = to_db(starts_at)
    workshop.ends_at = to_db(ends_at)
    workshop.delete_after = to_db(delete_after)
    after = workshop_view(workshop)
    changes = {
        key: [str(getattr(before, key)), str(getattr(after, key))]
        for key in ("title", "starts_at", "ends_at", "delete_after")
        if getattr(before, key) != getattr(after, key)
    }
    audit(session, actor=actor, action="workshop.update", target=slug, now=now, details=changes)
    return after


def all_workshops(session: Session) -> list[WorkshopView]:
    return [workshop_view(w) for w in session.scalars(select(Workshop).order_by(Workshop.slug))]


def workshop_accounts(session: Session) -> list[AccountView]:
    """Every account that belongs to a workshop (for the lifecycle task)."""
    stmt = (
        select(Account)
        .options(joinedload(Account.workshop))
        .where(Account.workshop_id.is_not(None))
        .order_by(Account.username)
    )
    return [_account_view(a) for a in session.scalars(stmt)]


def instructs(session: Session, username: str) -> set[str]:
    """Slugs of the workshops ``username`` is an instructor of."""
    stmt = (
        select(Workshop.slug)
        .join(Account, Account.workshop_id == Workshop.id)
        .where(Account.username == username, Account.role == Role.instructor)
    )
    return set(session.scalars(stmt))


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
    workshop = require_workshop(session, slug)
    account = session.scalars(
        select(Account)
        .options(joinedload(Account.workshop))
        .where(Account.username == username, Account.workshop_id == workshop.id)
    ).one_or_none()
    if account is None:
        raise StoreError("username", f"workshop {slug!r} has no account {username!r}")
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
    return _account_view(account)


def disable_accounts(session: Session, usernames: Sequence[str]) -> None:
    """Disable accounts at once (a reset stops new logins before it deletes)."""
    if usernames:
        session.execute(
            update(Account).where(Account.username.in_(list(usernames))).values(disabled=True)
        )


def existing_accounts(session: Session, usernames: Iterable[str]) -> set[str]:
    names = list(usernames)
    return set(session.scalars(select(Account.username).where(Account.username.in_(names))))


# --- resets ---------------------------------------------------------------------


def start_reset(
    session: Session, workshop: str, plan: dict[str, Any], *, actor: str, now: datetime
) -> int:
    """Persist a reset before anything is deleted; returns its id."""
    total = len(plan.get("delete", []))
    reset = Reset(
        workshop=workshop,
        state=RUNNING,
        actor=actor,
        created_at=to_db(now),
        plan=plan,
        progress={"total": total, "stopped": 0, "deleted": 0},
        error="",
    )
    session.add(reset)
    audit(
        session,
        actor=actor,
        action="reset.start",
        target=workshop,
        now=now,
        details={"counts": plan.get("counts", {}), "options": plan.get("options", {})},
    )
    session.flush()
    return reset.id


def reset_json(reset: Reset) -> dict[str, Any]:
    return {
        "id": reset.id,
        "workshop": reset.workshop,
        "state": reset.state,
        "actor": reset.actor,
        "created_at": as_utc(reset.created_at).isoformat(),
        "finished_at": as_utc(reset.finished_at).isoformat() if reset.finished_at else None,
        "progress": dict(reset.progress or {}),
        "plan": reset.plan,
        "error": reset.error,
    }


def get_reset(session: Session, reset_id: int) -> Reset | None:
    return session.get(Reset, reset_id)


def latest_reset(session: Session, workshop: str) -> Reset | None:
    stmt = select(Reset).where(Reset.workshop == workshop).order_by(Reset.id.desc()).limit(1)
    return session.scalars(stmt).one_or_none()


def running_resets(session: Session) -> list[Reset]:
    return list(session.scalars(select(Reset).where(Reset.state == RUNNING).order_by(Reset.id)))


def purged_workshops(session: Session) -> set[str]:
    return set(session.scalars(select(Reset.workshop).where(Reset.state == DONE)))


def set_progress(session: Session, reset_id: int, progress: dict[str, int]) -> None:
    session.execute(update(Reset).where(Reset.id == reset_id).values(progress=progress))


def finish_reset(
    session: Session,
    reset_id: int,
    *,
    state: str,
    now: datetime,
    progress: dict[str, int],
    error: str = "",
) -> None:
    reset = session.get(Reset, reset_id)
    if reset is None:
        return
    reset.state = state
    reset.finished_at = to_db(now)
    reset.progress = progress
    reset.error = error
    audit(
        session,
        actor=reset.actor,
        action="reset.done" if state == DONE else "reset.failed",
        target=reset.workshop,
        now=now,
        details={"progress": progress, **({"error": error} if error else {})},
    )


# --- lock marks -----------------------------------------------------------------


def lock_marks(session: Session) -> set[str]:
    return set(session.scalars(select(AccountLock.username)))


def add_lock_marks(
    session: Session, workshop: str, usernames: Sequence[str], *, actor: str, now: datetime
) -> None:
    if not usernames:
        return
    session.execute(
        insert(AccountLock),
        [{"username": u, "workshop": workshop, "locked_at": to_db(now)} for u in usernames],
    )
    audit(
        session,
        actor=actor,
        action="accounts.lock",
        target=workshop,
        now=now,
        details={"usernames": list(usernames), "count": len(usernames)},
    )


def remove_lock_marks(session: Session, usernames: Sequence[str]) -> None:
    if usernames:
        session.execute(delete(AccountLock).where(AccountLock.username.in_(list(usernames))))
