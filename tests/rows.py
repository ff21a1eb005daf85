"""Test data in hubtypes' database, written directly: a workshop and its accounts, for the
tests of the spawner and the TLJH plugin that must not depend on the authenticator or CLI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from hubtypes.clock import to_db
from hubtypes.db.database import Database
from hubtypes.db.models import Account, Role, Workshop


def add_workshop(
    url: str,
    *,
    slug: str = "py-101",
    title: str = "Python 101",
    participants: Iterable[str] = (),
    admins: Iterable[str] = (),
    days: float = 1,
) -> None:
    """A workshop that opened an hour ago and locks in ``days``, with its participants
    (and hub-wide admin accounts); codes are not usable ("unused" is no hash)."""
    now = datetime.now(timezone.utc)
    db = Database(url)
    with db.session() as s:
        ws = Workshop(
            slug=slug,
            title=title,
            starts_at=to_db(now - timedelta(hours=1)),
            ends_at=to_db(now + timedelta(days=days)),
            delete_after=to_db(now + timedelta(days=7 * days)),
            created_at=to_db(now),
        )
        s.add(ws)
        s.flush()
        for name in participants:
            s.add(Account(username=name, workshop_id=ws.id, role=Role.participant,
                          code_hash="unused", created_at=to_db(now)))  # fmt: skip
        for name in admins:
            s.add(Account(username=name, role=Role.admin, code_hash="unused",
                          created_at=to_db(now)))  # fmt: skip
    db.dispose()
