"""Workshops: create, read, list and change them (dates already validated by
:mod:`hubtypes.inputs`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, Workshop
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.views import workshop_view
from hubtypes.errors import Conflict, NotFound
from hubtypes.records import WorkshopView


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
    *,
    slug: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    delete_after: datetime,
    created_by: str,
    now: datetime,
) -> WorkshopView:
    """Add a workshop (already validated by :func:`hubtypes.inputs.check_workshop`)."""
    if get_workshop(session, slug) is not None:
        raise Conflict("slug", f"a workshop {slug!r} exists already; choose another slug")
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
    """Change a workshop's title and dates (already validated); audits what changed."""
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
