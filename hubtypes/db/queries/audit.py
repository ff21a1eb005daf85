"""The audit log: who did what to what, and when. Never holds a code, token or secret."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hubtypes.clock import to_db
from hubtypes.db.models import AuditEvent


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


def workshop_events(
    session: Session, slug: str, accounts: Collection[str], limit: int
) -> list[AuditEvent]:
    """A workshop's events, newest first: about the workshop itself and about its accounts."""
    events = list(session.scalars(select_audit(target=slug, limit=limit)))
    # events about accounts name the account as target (and sometimes the workshop)
    events += [
        e
        for e in session.scalars(select_audit(limit=limit * 5))
        if e.target in accounts or (e.details or {}).get("workshop") == slug
    ]
    unique = sorted({e.id: e for e in events}.values(), key=lambda e: -e.id)
    return unique[:limit]
