"""Workshop resets, persisted before anything is deleted so a crashed one resumes.

``state`` is ``running`` until every planned user is gone, then ``done`` or ``failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Reset
from hubtypes.db.queries.audit import audit

RUNNING = "running"
DONE = "done"
FAILED = "failed"


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
