"""The authenticator's database calls around a participant's session, and where they run.

:func:`in_thread` runs a blocking call in a worker thread, retrying lock contention and
turning an unreachable database into a plain 503; :func:`session_check` is what an auth
refresh reads: whether the session stays and, if not, what the login page should say
(:mod:`hubtypes.auth.login_page`); :func:`participant_dates` sets up the dates on the
hub's pages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from tornado import web

from hubtypes.access.codes import session_predates_code
from hubtypes.access.dates import account_dates
from hubtypes.access.ended import ended_workshop_of
from hubtypes.access.expiry import account_status
from hubtypes.auth.login_page import ended_payload
from hubtypes.auth.page_dates import WorkshopDates
from hubtypes.auth.refusals import UNAVAILABLE, one_line
from hubtypes.db.database import Database, without_waiting
from hubtypes.db.queries import logins
from hubtypes.records import AccountView


async def in_thread(log: logging.Logger | Any, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn`` in a worker thread, retried on lock contention; a database that cannot be
    reached becomes a 503 with a plain message (and one log line, no traceback)."""
    attempts = 4
    for attempt in range(attempts):
        try:
            return await asyncio.to_thread(fn, *args)
        except (IntegrityError, OperationalError) as e:
            # two first failures for one key at once, a deadlock, a busy SQLite or a
            # dropped connection: the transaction was rolled back whole, so trying
            # again is safe (and the pool's pre-ping reconnects)
            if attempt < attempts - 1:
                continue
            log.error(f"hubtypes' database is unavailable: {one_line(e)}")
            raise web.HTTPError(503, UNAVAILABLE) from None
        except DBAPIError as e:
            log.error(f"hubtypes' database is unavailable: {one_line(e)}")
            raise web.HTTPError(503, UNAVAILABLE) from None
    raise AssertionError("unreachable")  # pragma: no cover


async def on_loop_or_in_thread(
    log: logging.Logger | Any, fn: Callable[..., Any], *args: Any
) -> Any:
    """``fn`` right here on the event loop if the database can answer at once, else as
    :func:`in_thread` does.

    For SQLite (a local file in WAL mode, commits without a flush): a login's transaction
    takes a fraction of a millisecond, like the hub's own queries on its loop, while a hop to
    a worker thread costs more than that in interpreter-lock hand-overs under a burst
    (docs/workshop-authenticator.md has the figures). A database another process is writing
    to fails at once here instead of waiting (``without_waiting``); that call then goes to a
    worker thread, which waits.
    """
    try:
        with without_waiting():
            return fn(*args)
    except (IntegrityError, OperationalError) as e:
        # busy, or two first failures for one key at once: rolled back whole, so the
        # thread's attempt is a clean retry
        log.debug(f"hubtypes' database was busy; waiting for it in a thread: {one_line(e)}")
    except DBAPIError as e:
        log.error(f"hubtypes' database is unavailable: {one_line(e)}")
        raise web.HTTPError(503, UNAVAILABLE) from None
    return await in_thread(log, fn, *args)


async def database_call(auth: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn`` as a WorkshopAuthenticator ``auth`` is set to call its database: on the event
    loop first for SQLite (``sqlite_on_event_loop``), else in a worker thread."""
    if auth.sqlite_on_event_loop and auth.database.is_sqlite:
        return await on_loop_or_in_thread(auth.log, fn, *args)
    return await in_thread(auth.log, fn, *args)


def account_now(database: Database, username: str) -> AccountView | None:
    with database.connection() as conn:
        found = logins.account_for_login(conn, username)
    return found[0] if found else None


def participant_dates(auth: Any) -> WorkshopDates:
    """The dates on the hub's pages for a WorkshopAuthenticator ``auth``, offered to its
    hub's templates; fed by its logins and refreshes (:mod:`hubtypes.auth.page_dates`)."""
    dates = WorkshopDates(
        parent=auth,
        read=lambda name: account_now(auth.database, name),
        dates_of=account_dates,
        clock=lambda: auth.clock(),
    )
    dates.install(getattr(auth.parent, "template_vars", None))
    return dates


def session_check(
    database: Database, username: str, now: datetime, reject_unknown: bool
) -> tuple[AccountView | None, bool, dict[str, str] | None]:
    """(the account, whether its session stays, why not for the login page)."""
    with database.connection() as conn:
        found = logins.account_for_refresh(conn, username)
    view, issued = found if found is not None else (None, None)
    if view is None:
        if not reject_unknown:
            return None, True, None
        # a reset removed the account: say the workshop ended if the name's shape says so
        with database.connection() as conn:
            ended = ended_workshop_of(username, logins.known_workshops(conn))
        return None, False, ended_payload(None, ended.title or ended.slug) if ended else None
    if session_predates_code(view.last_login_at, issued):
        return view, False, None  # its code was reissued: log in again with the new one
    if account_status(view, now).can_log_in:
        return view, True, None
    dates = account_dates(view)
    return view, False, None if dates.empty else ended_payload(dates)
