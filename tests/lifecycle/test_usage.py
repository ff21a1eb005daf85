"""Usage counts from what a sweep sees: who was active today, and server time between sweeps."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from hubtypes.lifecycle.usage import Seen, days_to_keep_keys, person_key, usage_entries

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)
EARLIER = NOW - timedelta(minutes=5)


def seen(name="ann", running=1, last=None, hub_type="binder", workshop=""):
    return Seen(name, hub_type, workshop, running, last)


@pytest.mark.parametrize(
    "user, since, counted, seconds",
    [
        (seen(running=1), EARLIER, True, 300.0),
        (seen(running=2), EARLIER, True, 600.0),  # per running server
        (seen(running=1), None, True, 0.0),  # the first sweep: no time yet
        (seen(running=1), NOW - timedelta(hours=5), True, 900.0),  # capped: the culler was down
        (seen(running=0, last=NOW - timedelta(hours=1)), EARLIER, True, 0.0),  # active today
        (seen(running=0, last=NOW - timedelta(days=1)), EARLIER, False, 0.0),  # only yesterday
        (seen(running=0, last=None), EARLIER, False, 0.0),
    ],
)
def test_usage_entries_table(user, since, counted, seconds):
    entries = usage_entries([user], now=NOW, since=since, max_gap=900)
    assert bool(entries) is counted
    if counted:
        (e,) = entries
        assert e.day == date(2026, 12, 2) and e.server_seconds == seconds
        assert e.hub_type == user.hub_type and e.person == person_key("ann", e.day)
        assert "ann" not in e.person


def test_person_keys_are_stable_within_a_day_and_differ_across_days():
    today, tomorrow = date(2026, 12, 2), date(2026, 12, 3)
    assert person_key("ann", today) == person_key("ann", today)
    assert person_key("ann", today) != person_key("ann", tomorrow)
    assert person_key("ann", today) != person_key("bob", today)
    assert days_to_keep_keys(NOW) == date(2026, 12, 1)
