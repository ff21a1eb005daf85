"""The throttle race: 40 concurrent wrong codes for one name, through a real hub, on
SQLite and on a real PostgreSQL server. Exactly the limit is counted (and tried).

The hub runs each login's database work in a worker thread (several at once), so
without a lock two attempts both read "4 failures" and both get to guess.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from loginhub import add_accounts, attempt, counter, start, succeeded

pytestmark = pytest.mark.hub


def burst(hub, name: str, sources: list[str]) -> list[int]:
    with ThreadPoolExecutor(len(sources)) as pool:
        futures = [pool.submit(attempt, hub, name, f"wrong-{i}", source=source)
                   for i, source in enumerate(sources)]  # fmt: skip
        return [f.result().status_code for f in futures]


def tally(statuses: list[int]) -> str:
    return ", ".join(f"{s}: {statuses.count(s)}" for s in sorted(set(statuses)))


def test_forty_concurrent_wrong_codes_count_exactly_the_limit(real_hub_factory, db_url):
    codes = add_accounts(db_url, ["ann", "bob"])
    hub = start(real_hub_factory, db_url, pair=5, name=20, address=1000)

    # one address: the name-and-address limit, 5
    statuses = burst(hub, "ann", ["127.0.0.1"] * 40)
    assert sorted(statuses) == [403] * 5 + [429] * 35, tally(statuses)
    assert counter(db_url, "pair:127.0.0.1/ann") == 5
    assert counter(db_url, "user:ann") == 5
    assert counter(db_url, "ip:127.0.0.1") == 5

    # forty addresses: the name's limit, 20; beyond it each fresh address's one wrong
    # code is refused and counted for that address, not for the name
    sources = [f"127.0.5.{i + 1}" for i in range(40)]
    statuses = burst(hub, "bob", sources)
    assert sorted(statuses) == [403] * 20 + [429] * 20, tally(statuses)
    assert counter(db_url, "user:bob") == 20
    assert sum(counter(db_url, f"pair:{s}/bob") for s in sources) == 40
    # and the owners, from where they have not failed, get in
    assert succeeded(attempt(hub, "ann", codes["ann"], source="127.0.0.9"))
    assert succeeded(attempt(hub, "bob", codes["bob"], source="127.0.0.9"))
    assert "Traceback" not in hub.log_text()


def test_a_name_too_long_for_the_key_column_is_refused_not_an_error(real_hub_factory, db_url):
    """The key column is String(300); PostgreSQL refused a longer value with a 500."""
    add_accounts(db_url, ["ann"])
    hub = start(real_hub_factory, db_url)
    for name in ["a" * 5000, "ann/../x", "Ann Smith \u00e9"]:
        assert attempt(hub, name, "wrong").status_code == 403
    assert "Traceback" not in hub.log_text()
