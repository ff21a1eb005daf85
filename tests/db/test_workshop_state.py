"""A workshop's state (open, resetting, purged) and one reset per workshop, held by the
database: on SQLite and on a real PostgreSQL server, with real concurrent transactions.

Findings 6 and 7 of issue 10: accounts created while a reset ran survived it, and two
resets of one workshop could run at once. Both are decided by the database here (a row
lock on the workshop and a unique index over running resets), not by process memory.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from hubtypes.access.expiry import AccountState, account_status
from hubtypes.db.database import Database
from hubtypes.db.engine import make_engine
from hubtypes.db.models import Reset, Role
from hubtypes.db.queries.accounts import account_view, create_accounts, list_accounts
from hubtypes.db.queries.audit import select_audit
from hubtypes.db.queries.resets import (
    DONE,
    finish_reset,
    lock_for_reset,
    purged_workshops,
    running_resets,
    start_reset,
)
from hubtypes.db.queries.workshops import create_workshop, get_workshop, reopen_workshop
from hubtypes.db.schema import HEAD, _alembic_config, current_revision, upgrade
from hubtypes.errors import Conflict
from hubtypes.inputs import WorkshopInput

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
D = timedelta(days=1)


def _workshop(session, slug="py"):
    data = WorkshopInput(slug, "Python", NOW, NOW + 2 * D, NOW + 9 * D)
    return create_workshop(session, data, created_by="tester", now=NOW)


def _accounts(session, names, slug="py", role=Role.participant):
    return create_accounts(session, usernames=names, workshop=slug, role=role,
                           expires_at=None, created_by="tester", now=NOW)  # fmt: skip


def _start(session, slug="py", actor="admin") -> int:
    """What the service does: lock, plan from the accounts read under the lock, persist."""
    lock_for_reset(session, slug)
    names = [a.username for a in list_accounts(session, slug)]
    return start_reset(session, slug, {"delete": [{"name": n} for n in names]},
                       actor=actor, now=NOW)  # fmt: skip


def test_a_reset_closes_the_workshop_and_reopening_is_an_audited_admin_act(db_url):
    db = Database(db_url)
    with db.session() as s:
        _workshop(s)
        _accounts(s, ["py-1"])
        _accounts(s, ["teach"], role=Role.instructor)
    with db.session() as s:
        reset_id = _start(s)
    # resetting: no new accounts (409 naming the state), no logins, even instructors
    with pytest.raises(Conflict, match="is being reset"), db.session() as s:
        _accounts(s, ["py-2"])
    with db.session() as s:
        view = account_view(s, "teach")
    assert account_status(view, NOW).state is AccountState.locked
    assert "being removed" in account_status(view, NOW).message
    with db.session() as s:
        finish_reset(s, reset_id, state=DONE, now=NOW, progress={})
        assert purged_workshops(s) == {"py"}
    # purged: it stays closed for every route that creates accounts
    with pytest.raises(Conflict, match="hubtypes workshop reopen py"), db.session() as s:
        _accounts(s, ["py-3"])
    with db.session() as s:
        assert account_status(account_view(s, "teach"), NOW).can_log_in is False
    # reopening needs a purged workshop and is audited with before and after
    later = WorkshopInput("py", "Python again", NOW, NOW + 20 * D, NOW + 30 * D)
    with db.session() as s:
        after = reopen_workshop(s, later, actor="root", now=NOW)
    assert after.state == "open"
    with pytest.raises(Conflict, match="is open"), db.session() as s:
        reopen_workshop(s, later, actor="root", now=NOW)
    with db.session() as s:
        _accounts(s, ["py-4"])
        assert account_status(account_view(s, "teach"), NOW).can_log_in
        [event] = [e for e in s.scalars(select_audit(target="py")) if e.action == "workshop.reopen"]
    assert event.actor == "root" and event.details["state"] == ["purged", "open"]
    assert "delete_after" in event.details
    db.dispose()


def test_a_second_running_reset_is_refused_by_the_check_and_by_the_index(db_url):
    db = Database(db_url)
    with db.session() as s:
        _workshop(s)
    with db.session() as s:
        first = _start(s)
    with pytest.raises(Conflict) as e, db.session() as s:
        _start(s)
    assert f"reset {first} of workshop 'py' is running" in e.value.message
    # a writer that skips the check still cannot add a second running row
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Reset(workshop="py", state="running", actor="x", created_at=NOW.replace(tzinfo=None),
                    plan={}, progress={}, error=""))  # fmt: skip
        s.flush()
    with db.session() as s:
        finish_reset(s, first, state=DONE, now=NOW, progress={})
    with db.session() as s:  # once done, a new reset may start
        assert _start(s) > first
    db.dispose()


def _race(n: int, fn) -> list[object]:
    """Run ``fn(i)`` in ``n`` threads released at once; their results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # the outcome is what the test looks at
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_reset_starts_give_one_reset_and_409s_naming_it(db_url):
    db = Database(db_url)
    with db.session() as s:
        _workshop(s)

    def start(_i: int) -> int:
        with db.session() as s:
            return _start(s, actor=f"admin{_i}")

    results = _race(6, start)
    ids = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(ids) == 1 and len(refused) == 5, results
    assert all(f"reset {ids[0]} of workshop 'py' is running" in r.message for r in refused)
    with db.session() as s:
        assert [r.id for r in running_resets(s)] == ids
        starts = [e for e in s.scalars(select_audit(target="py")) if e.action == "reset.start"]
    assert len(starts) == 1
    db.dispose()


def test_no_account_created_during_a_reset_start_escapes_its_plan(db_url):
    """Account creation races a reset's start: each account is in the plan or refused."""
    db = Database(db_url)
    with db.session() as s:
        _workshop(s)
        _accounts(s, ["py-0"])
    plans: list[set[str]] = []

    def work(i: int) -> object:
        if i == 0:
            with db.session() as s:
                reset_id = _start(s)
                plans.append({u["name"] for u in s.get(Reset, reset_id).plan["delete"]})
                return reset_id
        with db.session() as s:
            return _accounts(s, [f"py-{i}"])

    results = _race(9, work)
    with db.session() as s:
        now_there = {a.username for a in list_accounts(s, "py")}
    [plan] = plans
    assert now_there <= plan, f"accounts outside the reset's plan: {now_there - plan}"
    refused = [r for r in results[1:] if isinstance(r, Conflict)]
    assert all("is being reset" in r.message for r in refused)
    assert len(refused) + len(now_there) == 9  # every attempt either made it in or was told
    db.dispose()


def _at_0003(url: str) -> None:
    """A database as hubtypes 0003 left it (the schema before this change)."""
    from alembic import command

    Database(url).dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        config = _alembic_config(url)
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    engine.dispose()


def test_upgrade_from_0003_derives_states_and_closes_duplicate_running_resets(db_url):
    _at_0003(db_url)
    engine = make_engine(db_url)
    assert current_revision(engine) == "0003"
    assert "state" not in {c["name"] for c in inspect(engine).get_columns("hubtypes_workshops")}
    ts = NOW.replace(tzinfo=None)
    with engine.begin() as conn:
        for i, slug in enumerate(["open1", "done1", "twice"], start=1):
            conn.execute(
                text(
                    "INSERT INTO hubtypes_workshops (id, slug, title, starts_at, ends_at, "
                    "delete_after, created_by, created_at) VALUES (:i, :s, '', :t, :t, :t, '', :t)"
                ),
                {"i": i, "s": slug, "t": ts},
            )
        for rid, slug, state in [(1, "done1", "done"), (2, "twice", "running"),
                                 (3, "twice", "running")]:  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO hubtypes_resets (id, workshop, state, actor, created_at, plan, "
                    "progress, error) VALUES (:id, :w, :st, 'a', :t, '{}', '{}', '')"
                ),
                {"id": rid, "w": slug, "st": state, "t": ts},
            )
    before, after = upgrade(db_url)
    assert (before, after) == ("0003", HEAD)  # 0004 (this one) and those after it
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT slug, state FROM hubtypes_workshops")).all())
        resets = {r.id: (r.state, r.error) for r in conn.execute(
            text("SELECT id, state, error FROM hubtypes_resets"))}  # fmt: skip
    assert states == {"open1": "open", "done1": "purged", "twice": "resetting"}
    assert resets[2] == ("running", "")
    assert resets[3][0] == "failed" and "duplicate of reset 2" in resets[3][1]
    engine.dispose()
    db = Database(db_url)  # at head now, and the index holds
    with pytest.raises(Conflict, match="reset 2 of workshop 'twice'"), db.session() as s:
        _start(s, "twice")
    with db.session() as s:
        assert get_workshop(s, "done1").state == "purged"
        assert purged_workshops(s) == {"done1"}
    db.dispose()
