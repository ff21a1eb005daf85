"""hubtypes' database on SQLite and on a real PostgreSQL server."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text

from hubtypes.access.codes import verify_code
from hubtypes.db.database import Database, DatabaseError
from hubtypes.db.engine import make_engine
from hubtypes.db.models import Account, AuditEvent, Role
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import (
    account_view,
    create_accounts,
    delete_account,
    existing_usernames,
    list_accounts,
    reissue_codes,
)
from hubtypes.db.queries.workshops import create_workshop, list_workshops, require_workshop
from hubtypes.db.schema import HEAD, VERSION_TABLE, current_revision, head_revision, upgrade
from hubtypes.errors import HubTypesError
from hubtypes.inputs import WorkshopInput

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
D = timedelta(days=1)


def make_workshop(session, slug="py"):
    data = WorkshopInput(slug, "Python", NOW, NOW + 2 * D, NOW + 9 * D)
    return create_workshop(session, data, created_by="tester", now=NOW)


def add(session, usernames, *, workshop="py", role=Role.participant):
    return create_accounts(
        session,
        usernames=usernames,
        workshop=workshop,
        role=role,
        expires_at=None,
        created_by="tester",
        now=NOW,
    )


def test_head_constant_matches_the_migrations():
    assert HEAD == head_revision()


def test_new_database_is_created_at_head(db_url):
    db = Database(db_url)
    tables = set(inspect(db.engine).get_table_names())
    assert {"hubtypes_workshops", "hubtypes_accounts", "hubtypes_audit", VERSION_TABLE} <= tables
    assert current_revision(db.engine) == head_revision()
    db.dispose()


def test_out_of_date_database_names_the_upgrade_command(db_url):
    Database(db_url).dispose()
    # bring the schema back to an older revision, as an old hubtypes would have left it
    from alembic import command

    from hubtypes.db.schema import _alembic_config

    engine = make_engine(db_url)
    with engine.begin() as conn:
        config = _alembic_config(db_url)
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        conn.execute(text("CREATE TABLE hubtypes_workshops (id INTEGER PRIMARY KEY)"))
    with pytest.raises(DatabaseError) as e:
        Database(db_url)
    assert "hubtypes db upgrade --db-url" in str(e.value)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE hubtypes_workshops"))
    before, after = upgrade(db_url)
    assert (before, after) == (None, head_revision())
    Database(db_url).dispose()
    engine.dispose()


def test_accounts_round_trip(db_url):
    db = Database(db_url)
    with db.session() as s:
        make_workshop(s)
        creds = add(s, ["py-001", "py-002"], workshop="py", role=Role.participant)
    with db.session() as s:
        view, stored = logins.account_for_login(s, "py-001")
        assert view.workshop.slug == "py" and view.role == "participant"
        assert view.workshop.ends_at == NOW + 2 * D  # aware UTC back out
        assert verify_code(creds[0].code, stored) and not verify_code(creds[1].code, stored)
        assert [a.username for a in list_accounts(s, "py")] == ["py-001", "py-002"]
        [(w, counts)] = list_workshops(s)
        assert counts == {"participant": 2}
        audit = s.scalars(select(AuditEvent)).all()
        assert [a.action for a in audit] == ["workshop.create", "accounts.create"]
        # the audit never holds codes
        assert not any(c.code in str(a.details) for a in audit for c in creds)
    db.dispose()


def test_duplicate_username_writes_nothing(db_url):
    db = Database(db_url)
    with db.session() as s:
        make_workshop(s)
        add(s, ["ann"], workshop="py", role=Role.participant)
    with pytest.raises(HubTypesError) as e, db.session() as s:
        add(s, ["bob", "ann"], workshop="py", role=Role.participant)
    assert e.value.field == "usernames" and "ann" in e.value.message
    with db.session() as s:
        assert existing_usernames(s) == {"ann"}
    db.dispose()


def test_unknown_workshop_and_duplicate_slug(db_url):
    db = Database(db_url)
    with pytest.raises(HubTypesError, match="workshop list"), db.session() as s:
        require_workshop(s, "nope")
    with db.session() as s:
        make_workshop(s)
    with pytest.raises(HubTypesError) as e, db.session() as s:
        make_workshop(s)
    assert e.value.field == "slug"
    db.dispose()


def test_throttle_and_login_bookkeeping(db_url):
    db = Database(db_url)
    window = timedelta(minutes=5)
    with db.session() as s:
        make_workshop(s)
        add(s, ["ann"], workshop="py", role=Role.participant)
        for i in range(3):
            logins.record_failure(s, "user:ann", window=window, now=NOW + timedelta(seconds=i))
        logins.record_failure(s, "ip:10.0.0.1", window=window, now=NOW)
    with db.session() as s:
        counter = logins.throttle_counter(s, "user:ann")
        assert counter.failures == 3 and counter.window_start == NOW
        logins.record_login(s, "ann", NOW + D, clear_throttle=True)
    with db.session() as s:
        assert logins.throttle_counter(s, "user:ann") is None  # success clears the name
        assert logins.throttle_counter(s, "ip:10.0.0.1").failures == 1  # not the address
        assert account_view(s, "ann").last_login_at == NOW + D
        assert logins.prune_throttle(s, window=window, now=NOW + D) == 1
    db.dispose()


def test_delete_account_is_audited_and_idempotent(db_url):
    db = Database(db_url)
    with db.session() as s:
        make_workshop(s)
        add(s, ["ann"], workshop="py", role=Role.instructor)
    with db.session() as s:
        assert delete_account(s, "ann", actor="hub", now=NOW)
    with db.session() as s:
        assert not delete_account(s, "ann", actor="hub", now=NOW)
        assert s.scalars(select(Account)).all() == []
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (last.action, last.target, last.actor) == ("account.delete", "ann", "hub")
        assert last.details == {"workshop": "py", "role": "instructor"}
    db.dispose()


def test_reissue_codes(db_url):
    db = Database(db_url)
    with db.session() as s:
        [old] = add(s, ["root-admin"], workshop=None, role=Role.admin)
    with db.session() as s:
        [new] = reissue_codes(s, ["root-admin"], actor="t", now=NOW)
    with db.session() as s:
        _, stored = logins.account_for_login(s, "root-admin")
        assert verify_code(new.code, stored) and not verify_code(old.code, stored)
        assert [a.username for a in list_accounts(s, None)] == ["root-admin"]
    db.dispose()
