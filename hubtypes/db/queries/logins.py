"""The database side of a login: the account with its code hash, and throttle counters.

This runs for every login and every auth refresh inside the hub process, so it
uses SQLAlchemy Core on a plain connection with statements built once (no ORM
session, no per-call statement construction): about a quarter of the cost of
the same queries through the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from hubtypes.access import throttle
from hubtypes.access.ended import KnownWorkshop
from hubtypes.clock import as_utc, to_db
from hubtypes.db.models import Account, ThrottleEntry, Workshop
from hubtypes.db.queries.views import account_view, select_accounts
from hubtypes.records import WORKSHOP_PURGED, AccountView

Executor = Connection | Session

_ACCOUNT = select_accounts(Account.code_hash).where(Account.username == bindparam("username"))
_COUNTERS = select(ThrottleEntry.key, ThrottleEntry.failures, ThrottleEntry.window_start).where(
    ThrottleEntry.key.in_(bindparam("keys", expanding=True))
)
_COUNTER_FOR_UPDATE = (
    select(ThrottleEntry.failures, ThrottleEntry.window_start)
    .where(ThrottleEntry.key == bindparam("key"))
    .with_for_update()
)
_NEW_COUNTER = insert(ThrottleEntry)
_SET_COUNTER = (
    update(ThrottleEntry)
    .where(ThrottleEntry.key == bindparam("k"))
    .values(failures=bindparam("n"), window_start=bindparam("since"))
)
_FORGET = delete(ThrottleEntry).where(ThrottleEntry.key == bindparam("key"))
_FORGET_MANY = delete(ThrottleEntry).where(ThrottleEntry.key.in_(bindparam("keys", expanding=True)))
# A write as the first statement of a login's transaction: on SQLite it takes the
# database's write lock before anything is read (pysqlite begins the transaction at the
# first write), on PostgreSQL it row-locks the counters that exist (and _ADVISORY_LOCK,
# before it, those that do not yet). Either way two logins for one key cannot both read
# "4 failures" and both try.
_LOCK_COUNTERS = (
    update(ThrottleEntry)
    .where(ThrottleEntry.key.in_(bindparam("keys", expanding=True)))
    .values(failures=ThrottleEntry.failures)
)
# PostgreSQL's row locks cover only the counters that exist: the first failures for a key
# would each read "no counter" and each be verified (seen in CI: 7 verified where the limit
# is 5). A transaction-scoped advisory lock per key serialises them whether or not the row
# exists yet, and is released at commit or rollback; taken in sorted order, so two logins
# sharing keys never wait for each other in a cycle.
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
# what a session refresh reads: the account, and when its current code was issued
_REFRESH = select_accounts(Account.code_issued_at).where(Account.username == bindparam("username"))

# every workshop, with whether it is purged (failed logins only: see access/ended)
_KNOWN_WORKSHOPS = select(
    Workshop.slug, Workshop.title, (Workshop.state == WORKSHOP_PURGED).label("purged")
)
_TOUCH = (
    update(Account)
    .where(Account.username == bindparam("name"))
    .values(last_login_at=bindparam("at"))
)


def user_key(username: str) -> str:
    """The counter of a name's failures from every address (see :mod:`hubtypes.access.throttle`)."""
    return throttle.name_key(username)


def ip_key(address: str) -> str:
    return throttle.address_key(address)


def pair_key(username: str, address: str) -> str:
    return throttle.pair_key(username, address)


def lock_counters(db: Executor, keys: Sequence[str]) -> None:
    """Hold these counters until the transaction ends (call before reading them), on
    PostgreSQL also those that do not exist yet."""
    bind = db.get_bind() if isinstance(db, Session) else db
    if bind.dialect.name == "postgresql":
        for key in sorted(set(keys)):
            db.execute(_ADVISORY_LOCK, {"key": key})
    db.execute(_LOCK_COUNTERS, {"keys": list(keys)})


def account_for_login(db: Executor, username: str) -> tuple[AccountView, str] | None:
    """The account (with its workshop) and its stored code hash, in one query."""
    row = db.execute(_ACCOUNT, {"username": username}).one_or_none()
    if row is None:
        return None
    return account_view(row), row.code_hash


def account_for_refresh(db: Executor, username: str) -> tuple[AccountView, datetime | None] | None:
    """The account and when its current code was issued (None: its first code)."""
    row = db.execute(_REFRESH, {"username": username}).one_or_none()
    if row is None:
        return None
    return account_view(row), as_utc(row.code_issued_at) if row.code_issued_at else None


def known_workshops(db: Executor) -> list[KnownWorkshop]:
    """Every workshop's slug, title and whether it is purged (reset, and not reopened)."""
    return [KnownWorkshop(r.slug, r.title, bool(r.purged)) for r in db.execute(_KNOWN_WORKSHOPS)]


def throttle_counters(db: Executor, keys: Sequence[str]) -> dict[str, throttle.Counter]:
    """The counters that exist among ``keys``, in one query."""
    rows = db.execute(_COUNTERS, {"keys": list(keys)})
    return {r.key: throttle.Counter(r.failures, as_utc(r.window_start)) for r in rows}


def throttle_counter(db: Executor, key: str) -> throttle.Counter | None:
    return throttle_counters(db, [key]).get(key)


def record_failure(db: Executor, key: str, *, window: timedelta, now: datetime) -> None:
    """One more failure for ``key`` (row-locked on PostgreSQL against concurrent logins)."""
    row = db.execute(_COUNTER_FOR_UPDATE, {"key": key}).one_or_none()
    current = throttle.Counter(row.failures, as_utc(row.window_start)) if row else None
    updated = throttle.after_failure(current, window=window, now=now)
    failures, since = updated.failures, to_db(updated.window_start)
    if row is None:
        db.execute(_NEW_COUNTER, {"key": key, "failures": failures, "window_start": since})
    else:
        db.execute(_SET_COUNTER, {"k": key, "n": failures, "since": since})


def forget_failures(db: Executor, key: str) -> None:
    db.execute(_FORGET, {"key": key})


def forget_name(db: Executor, username: str) -> int:
    """Forget a name's failures: its own counter and those per address (an account gone,
    or an instructor clearing the throttle). Returns how many counters went."""
    part = "/" + throttle.key_part(username)
    result = db.execute(
        delete(ThrottleEntry).where(
            (ThrottleEntry.key == user_key(username))
            | (
                ThrottleEntry.key.startswith("pair:", autoescape=True)
                & ThrottleEntry.key.endswith(part, autoescape=True)
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def record_login(
    db: Executor,
    username: str,
    now: datetime,
    *,
    clear_throttle: bool,
    forget: Sequence[str] = (),
) -> None:
    """A successful login: remember when, and (if it had any) forget this name's failures
    (and the other counters in ``forget``, e.g. the name's from this address)."""
    db.execute(_TOUCH, {"name": username, "at": to_db(now)})
    keys = [user_key(username), *forget] if clear_throttle else list(forget)
    if keys:
        db.execute(_FORGET_MANY, {"keys": keys})


def prune_throttle(db: Executor, *, window: timedelta, now: datetime) -> int:
    """Drop counters whose window has passed (keeps the table small)."""
    result = db.execute(
        delete(ThrottleEntry).where(ThrottleEntry.window_start < to_db(now - window))
    )
    return int(getattr(result, "rowcount", 0) or 0)
