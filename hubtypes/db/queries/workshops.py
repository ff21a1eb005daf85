"""Workshops: create, read, list and change them (dates already validated by
:mod:`hubtypes.inputs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hubtypes.access.names import GroupNames, new_slug_problem
from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, Workshop
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.views import workshop_view
from hubtypes.errors import Conflict, NotFound
from hubtypes.inputs import WorkshopInput
from hubtypes.records import WORKSHOP_OPEN, WORKSHOP_PURGED, WORKSHOP_RESETTING, WorkshopView


def get_workshop(session: Session, slug: str) -> Workshop | None:
    return session.scalars(select(Workshop).where(Workshop.slug == slug)).one_or_none()


def require_workshop(session: Session, slug: str) -> Workshop:
    """The workshop called ``slug``; :class:`NotFound` naming the field if there is none."""
    workshop = get_workshop(session, slug)
    if workshop is None:
        raise NotFound(
            "workshop", f"no workshop {slug!r}; `hubtypes workshop list` shows the workshops"
        )
    return workshop


def lock_workshop(session: Session, slug: str) -> Workshop:
    """The workshop called ``slug``, locked for the rest of the transaction.

    The lock is a write (``UPDATE ... SET state = state``), not ``SELECT ... FOR UPDATE``:
    it serialises account creation against a reset's start on PostgreSQL (a row lock;
    the other transaction waits and then reads the committed state) *and* on SQLite,
    where the first write of a transaction takes the database's write lock (pysqlite
    begins the transaction there, so no older snapshot can be written from).
    """
    session.execute(
        update(Workshop)
        .where(Workshop.slug == slug)
        .values(state=Workshop.state)
        .execution_options(synchronize_session=False)
    )
    workshop = require_workshop(session, slug)
    session.refresh(workshop)  # the committed state, read under the lock
    return workshop


def require_open_workshop(session: Session, slug: str) -> Workshop:
    """:func:`lock_workshop`, refusing (409) a workshop that is being reset or is purged.

    Every route that creates accounts goes through this (the service, the command
    line and ``hubtypes demo``), so a closed workshop cannot be revived by any of them.
    """
    workshop = lock_workshop(session, slug)
    if workshop.state == WORKSHOP_RESETTING:
        raise Conflict(
            "workshop",
            f"workshop {slug!r} is being reset: it accepts no new accounts; "
            f"GET /workshops/{slug}/reset shows the reset's progress",
        )
    if workshop.state == WORKSHOP_PURGED:
        raise Conflict(
            "workshop",
            f"workshop {slug!r} has been purged and is closed; create a new workshop, "
            f"or (an admin) reopen it: hubtypes workshop reopen {slug} --ends ... "
            "--delete-after ...",
        )
    return workshop


def set_workshop_state(session: Session, slug: str, state: str) -> None:
    session.execute(
        update(Workshop)
        .where(Workshop.slug == slug)
        .values(state=state)
        .execution_options(synchronize_session=False)
    )


def closed_workshops(session: Session, state: str = WORKSHOP_PURGED) -> set[str]:
    """Slugs of the workshops in ``state`` (default: purged)."""
    return set(session.scalars(select(Workshop.slug).where(Workshop.state == state)))


def reopen_workshop(
    session: Session, data: WorkshopInput, *, actor: str, now: datetime
) -> WorkshopView:
    """Open a purged workshop again with new dates (validated ``data``): an admin's act,
    audited with the dates before and after."""
    workshop = lock_workshop(session, data.slug)
    if workshop.state != WORKSHOP_PURGED:
        why = "is being reset" if workshop.state == WORKSHOP_RESETTING else "is open"
        raise Conflict("workshop", f"workshop {data.slug!r} {why}; only a purged one is reopened")
    before = workshop_view(workshop)
    _set_fields(workshop, data)
    workshop.state = WORKSHOP_OPEN
    after = workshop_view(workshop)
    changes = {
        key: [str(getattr(before, key)), str(getattr(after, key))]
        for key in (*_FIELDS, "state")
        if getattr(before, key) != getattr(after, key)
    }
    audit(session, actor=actor, action="workshop.reopen", target=data.slug, now=now,
          details=changes)  # fmt: skip
    session.flush()
    return after


def find_workshop(session: Session, slug: str) -> WorkshopView:
    """:func:`require_workshop` as a plain view."""
    return workshop_view(require_workshop(session, slug))


def all_workshops(session: Session) -> list[WorkshopView]:
    return [workshop_view(w) for w in session.scalars(select(Workshop).order_by(Workshop.slug))]


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


def create_workshop(
    session: Session,
    data: WorkshopInput,
    *,
    created_by: str,
    now: datetime,
    groups: GroupNames | None = None,
) -> WorkshopView:
    """Add a workshop (``data`` comes from :func:`hubtypes.inputs.check_workshop`).

    Its hub groups (``groups``' templates, default the defaults) must not share a name
    with another workshop's: see :func:`hubtypes.access.names.new_slug_problem`.
    """
    if get_workshop(session, data.slug) is not None:
        raise Conflict("slug", f"a workshop {data.slug!r} exists already; choose another slug")
    groups = groups or GroupNames()
    partners = list(groups.partners(data.slug))
    existing = set(session.scalars(select(Workshop.slug).where(Workshop.slug.in_(partners))))
    if problem := new_slug_problem(data.slug, groups, existing):
        raise Conflict("slug", problem)
    workshop = Workshop(
        slug=data.slug, created_by=created_by, created_at=to_db(now), state=WORKSHOP_OPEN
    )
    _set_fields(workshop, data)
    session.add(workshop)
    details = {k: str(v) if k == "title" else as_utc(v).isoformat() for k, v in _fields(data)}
    audit(
        session,
        actor=created_by,
        action="workshop.create",
        target=data.slug,
        now=now,
        details=details,
    )
    session.flush()
    return workshop_view(workshop)


def update_workshop(
    session: Session, data: WorkshopInput, *, actor: str, now: datetime
) -> WorkshopView:
    """Change a workshop's title and dates (validated ``data``); audits what changed."""
    slug = data.slug
    workshop = require_workshop(session, slug)
    before = workshop_view(workshop)
    _set_fields(workshop, data)
    after = workshop_view(workshop)
    changes = {
        key: [str(getattr(before, key)), str(getattr(after, key))]
        for key in _FIELDS
        if getattr(before, key) != getattr(after, key)
    }
    audit(session, actor=actor, action="workshop.update", target=slug, now=now, details=changes)
    return after


_FIELDS = ("title", "starts_at", "ends_at", "delete_after")


def _fields(data: WorkshopInput) -> list[tuple[str, Any]]:
    return [(key, getattr(data, key)) for key in _FIELDS]


def _set_fields(workshop: Workshop, data: WorkshopInput) -> None:
    workshop.title = data.title
    workshop.starts_at = to_db(data.starts_at)
    workshop.ends_at = to_db(data.ends_at)
    workshop.delete_after = to_db(data.delete_after)
