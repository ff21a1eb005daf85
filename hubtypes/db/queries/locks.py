"""Lock marks: the accounts whose servers and tokens the workshop service has removed at
their lock time, so each account is locked once (and unlocked if it is extended)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hubtypes.clock import to_db
from hubtypes.db.models import AccountLock
from hubtypes.db.queries.audit import audit


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
