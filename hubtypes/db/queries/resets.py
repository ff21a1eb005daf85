"""Workshop resets, persisted before anything is deleted so a crashed one resumes.

``state`` is ``running`` until every planned user is gone, then ``done`` or ``failed``.
One reset of a workshop at a time is held by the database: :func:`start_reset` locks the
workshop's row and refuses while a reset runs, and a unique index over the running rows
(``ux_hubtypes_resets_one_running``) refuses a second one whatever process tries.
Starting a reset marks the workshop ``resetting`` (no accounts, no logins); finishing it
marks it ``purged``, which only an admin's reopen undoes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Reset
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.workshops import closed_workshops, lock_workshop, set_workshop_state
from hubtypes.errors import Conflict
from hubtypes.records import WORKSHOP_PURGED, WORKSHOP_RESETTING

RUNNING = "running"
DONE = "done"
FAILED = "failed"


def running_reset(session: Session, workshop: str) -> Reset | None:
    stmt = select(Reset).where(Reset.workshop == workshop, Reset.state == RUNNING)
    return session.scalars(stmt).first()


def running_conflict(reset: Reset) -> Conflict:
    """The 409 for a second reset: it names the one under way."""
    return Conflict(
        "workshop",
        f"reset {reset.id} of workshop {reset.workshop!r} is running (started by "
        f"{reset.actor} at {as_utc(reset.created_at).isoformat()}); wait for it to finish, "
        f"GET /workshops/{reset.workshop}/reset shows its progress",
    )


def lock_for_reset(session: Session, workshop: str) -> str:
    """Lock the workshop's row for a reset about to start; its state before.

    Raises :class:`Conflict` naming the running reset if there is one.
    """
    row = lock_workshop(session, workshop)
    running = running_reset(session, workshop)
    if running is not None:
        raise running_conflict(running)
    return row.state


def start_reset(
    session: Session, workshop: str, plan: dict[str, Any], *, actor: str, now: datetime
) -> int:
    """Persist a reset before anything is deleted; returns its id.

    Call :func:`lock_for_reset` first in the same transaction. The workshop is
    ``resetting`` from here on; a concurrent second start fails on the unique index
    even if it got past the check (the caller turns that into the same 409).
    """
    set_workshop_state(session, workshop, WORKSHOP_RESETTING)
    reset = Reset(
        workshop=workshop,
        state=RUNNING,
        actor=actor,
        created_at=to_db(now),
        plan=plan,
        progress={"total": len(plan.get("delete", [])), "stopped": 0, "deleted": 0},
        error="",
    )
    try:
        with session.begin_nested():  # a savepoint: the transaction survives the refusal
            session.add(reset)
            session.flush()
    except IntegrityError:
        running = running_reset(session, workshop)
        if running is None:
            raise
        raise running_conflict(running) from None
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
    """Workshops that are purged (their reset finished and no admin reopened them)."""
    return closed_workshops(session, WORKSHOP_PURGED)


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
    if state == DONE:
        set_workshop_state(session, reset.workshop, WORKSHOP_PURGED)
    audit(
        session,
        actor=reset.actor,
        action="reset.done" if state == DONE else "reset.failed",
        target=reset.workshop,
        now=now,
        details={"progress": progress, **({"error": error} if error else {})},
    )
