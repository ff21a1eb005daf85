"""Workshops: create, read, list and change them (dates already validated by
:mod:`hubtypes.inputs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hubtypes.access.names import GroupNames, new_slug_problem
from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, Workshop
from hubtypes.db.queries.audit import audit
from hubtypes.db.queries.views import workshop_view
from hubtypes.errors import Conflict, NotFound
from hubtypes.inputs import WorkshopInput
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
    workshop = Workshop(slug=data.slug, created_by=created_by, created_at=to_db(now))
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
