"""Throttling through the real proxy chain: headers a client sends cannot choose the
address it is counted by, and guessing a known name locks out the guesser, not the owner.

Read from the real sources: JupyterHub starts tornado with ``xheaders=True``
(jupyterhub/app.py), so ``remote_ip`` is a client's ``X-Real-Ip`` when it sends one
(tornado/httpserver.py ``_HTTPRequestContext._apply_xheaders``); configurable-http-proxy
(lib/configproxy.js creates http-proxy-3 with ``xfwd``; its ``XHeaders`` pass) passes
``X-Real-Ip`` through and appends the client's socket address to ``X-Forwarded-For``.
Each client here connects from its own loopback address, which the proxy really sees.
"""

from __future__ import annotations

import pytest
from loginhub import add_accounts, attempt, counter, start, succeeded
from realhub import login_error

pytestmark = pytest.mark.hub


@pytest.fixture
def hub_and_codes(real_hub_factory, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    codes = add_accounts(db_url, ["ann", "bob"])
    return start(real_hub_factory, db_url), codes, db_url


def test_a_new_claimed_address_per_guess_is_refused_after_the_limit(hub_and_codes):
    hub, _codes, db_url = hub_and_codes
    statuses = []
    for i in range(120):
        fake = f"10.{i // 250}.{i % 250}.7"
        r = attempt(hub, f"guess-{i}", "wrong-code",
                    headers={"X-Real-Ip": fake, "X-Forwarded-For": fake})  # fmt: skip
        statuses.append(r.status_code)
    # 50 failures from the one real address, then that address is refused
    assert statuses[:50] == [403] * 50
    assert statuses[50:] == [429] * 70, f"bypasses: {statuses[50:].count(403)}"
    assert counter(db_url, "ip:127.0.0.1") == 50
    assert counter(db_url, "ip:10.0.0.7") == 0


def test_claiming_a_victims_address_does_not_lock_the_victim_out(hub_and_codes):
    hub, codes, db_url = hub_and_codes
    victim = "127.0.0.2"  # the classroom's address
    spoof = {"X-Real-Ip": victim, "X-Forwarded-For": victim}
    refused = [attempt(hub, f"x{i}", "wrong", headers=spoof).status_code for i in range(50)]
    assert refused == [403] * 50
    assert counter(db_url, f"ip:{victim}") == 0 and counter(db_url, "ip:127.0.0.1") == 50
    # the attacker's own address is the one refused now
    assert attempt(hub, "bob", codes["bob"], headers=spoof).status_code == 429
    # the room logs in, typos and all
    assert attempt(hub, "bob", "typo", source=victim).status_code == 403
    assert succeeded(attempt(hub, "bob", codes["bob"], source=victim))


def test_guessing_a_name_locks_out_the_guesser_not_the_owner(hub_and_codes):
    hub, codes, db_url = hub_and_codes
    guesses = successes = 0
    # one attacker hammers ann's name: 5 guesses are tried, the rest refused
    results = [attempt(hub, "ann", f"guess-{i}").status_code for i in range(30)]
    guesses += 30
    assert results == [403] * 5 + [429] * 25
    # ann, at her desk, logs in with her code
    r = attempt(hub, "ann", codes["ann"], source="127.0.0.2")
    assert succeeded(r), (r.status_code, login_error(r))
    successes += 0  # ann's own login is not a guess

    # attackers on 24 addresses, one guess each: the name goes over its limit of 20
    for i in range(24):
        r = attempt(hub, "ann", f"spread-{i}", source=f"127.0.3.{i + 1}")
        guesses += 1
        successes += succeeded(r)
    assert counter(db_url, "user:ann") == 20  # the limit, not 24: exactly the limit counted
    # an address that has failed for ann is refused, even with the right code...
    assert attempt(hub, "ann", codes["ann"], source="127.0.3.1").status_code == 429
    # ...a fresh one may try once: a wrong code is refused, and counted for that address
    r = attempt(hub, "ann", "fresh-guess", source="127.0.4.1")
    guesses += 1
    assert r.status_code == 429 and "Too many attempts" in (login_error(r) or "")
    assert counter(db_url, "pair:127.0.4.1/ann") == 1
    assert attempt(hub, "ann", codes["ann"], source="127.0.4.1").status_code == 429
    # ann, from an address that has not failed, still gets in with her code
    assert succeeded(attempt(hub, "ann", codes["ann"], source="127.0.0.5"))
    assert successes == 0, f"{guesses} guessed codes -> {successes} successes"
    print(f"\n{guesses} guessed codes -> {successes} successes")
