"""Usage counts in hubtypes' database, on SQLite and PostgreSQL: people once a day, time added."""

from __future__ import annotations

from datetime import date, timedelta

from hubtypes.db.database import Database
from hubtypes.db.queries.usage import record_usage, usage_since
from hubtypes.lifecycle.usage import UsageEntry, person_key

DAY = date(2026, 12, 2)


def entry(name, seconds, hub_type="binder", workshop="", day=DAY):
    return UsageEntry(day, person_key(name, day), hub_type, workshop, seconds)


def test_each_person_once_a_day_and_server_time_adds_up(db_url):
    db = Database(db_url)
    keep = DAY - timedelta(days=1)
    with db.session() as s:
        record_usage(s, [entry("ann", 0), entry("bob", 0), entry("cy", 0, "workshop", "py")],
                     keep_keys_from=keep)  # fmt: skip
    with db.session() as s:  # the next sweep: the same people, five minutes later
        record_usage(s, [entry("ann", 300), entry("bob", 600)], keep_keys_from=keep)
    with db.session() as s:  # the next day, ann again; the day before's keys may go
        record_usage(s, [entry("ann", 60, day=DAY + timedelta(days=1))], keep_keys_from=DAY)
        rows = usage_since(s, DAY)
    assert rows == [
        {"day": "2026-12-03", "hub_type": "binder", "workshop": "", "active_users": 1,
         "server_seconds": 60.0, "server_hours": 0.017},
        {"day": "2026-12-02", "hub_type": "binder", "workshop": "", "active_users": 2,
         "server_seconds": 900.0, "server_hours": 0.25},
        {"day": "2026-12-02", "hub_type": "workshop", "workshop": "py", "active_users": 1,
         "server_seconds": 0.0, "server_hours": 0.0},
    ]  # fmt: skip
    db.dispose()
