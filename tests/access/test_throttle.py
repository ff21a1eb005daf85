"""Throttle decisions as a table."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubtypes.access.throttle import (
    Counter,
    Limits,
    Verdict,
    after_failure,
    blocked_for,
    decide,
    describe_wait,
    key_part,
    login_keys,
    name_key,
    pair_key,
)

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)
W = timedelta(minutes=5)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    "counter, limit, at, wait",
    [
        (None, 5, T0, None),
        (Counter(4, T0), 5, T0 + S, None),
        (Counter(5, T0), 5, T0 + S, W - S),
        (Counter(9, T0), 5, T0 + W - S, S),
        (Counter(5, T0), 5, T0 + W, None),  # window over
        (Counter(5, T0), 0, T0, None),  # 0 disables
        (Counter(50, T0), 50, T0 + 60 * S, W - 60 * S),
    ],
)
def test_blocked_for(counter, limit, at, wait):
    assert blocked_for(counter, limit=limit, window=W, now=at) == wait


@pytest.mark.parametrize(
    "counter, at, expected",
    [
        (None, T0, Counter(1, T0)),
        (Counter(1, T0), T0 + S, Counter(2, T0)),
        (Counter(7, T0), T0 + W, Counter(1, T0 + W)),  # stale window starts afresh
    ],
)
def test_after_failure(counter, at, expected):
    assert after_failure(counter, window=W, now=at) == expected


def test_n_failures_block_the_next_attempt():
    counter = None
    for i in range(5):
        assert blocked_for(counter, limit=5, window=W, now=T0 + i * S) is None
        counter = after_failure(counter, window=W, now=T0 + i * S)
    assert blocked_for(counter, limit=5, window=W, now=T0 + 5 * S) is not None


@pytest.mark.parametrize(
    "wait, text",
    [(S / 2, "1 second"), (45 * S, "45 seconds"), (89 * S, "89 seconds"), (W, "5 minutes")],
)
def test_describe_wait(wait, text):
    assert describe_wait(wait) == text


LIMITS = Limits(name_and_address=5, address=50, name=20, window=W)
ANN_HERE = login_keys("ann", "10.0.0.1")
NAME, ADDR, PAIR = ANN_HERE.name, ANN_HERE.address, ANN_HERE.pair


@pytest.mark.parametrize(
    "counters, keys, expected",
    [
        ({}, ANN_HERE, Verdict()),
        ({PAIR: Counter(4, T0), NAME: Counter(4, T0), ADDR: Counter(4, T0)}, ANN_HERE, Verdict()),
        # five misses from here for ann: this address may not try ann
        ({PAIR: Counter(5, T0), NAME: Counter(5, T0)}, ANN_HERE, Verdict(W - S)),
        # ...but from another address ann logs in as usual
        ({NAME: Counter(5, T0)}, login_keys("ann", "10.0.0.2"), Verdict()),
        # the address is over its limit: refused whatever the name
        ({ADDR: Counter(50, T0)}, ANN_HERE, Verdict(W - S)),
        # ann guessed from many addresses: where she has failed, refused...
        ({NAME: Counter(20, T0), PAIR: Counter(1, T0)}, ANN_HERE, Verdict(W - S)),
        # ...where she has not, the right code only
        ({NAME: Counter(20, T0)}, ANN_HERE, Verdict(W - S, right_code_only=True)),
        # a pair failure from an earlier window does not count
        ({NAME: Counter(20, T0), PAIR: Counter(3, T0 - W)}, ANN_HERE, Verdict(W - S, True)),
        # no address known: the name alone, at the name-and-address limit
        ({NAME: Counter(5, T0)}, login_keys("ann", ""), Verdict(W - S)),
        ({NAME: Counter(4, T0)}, login_keys("ann", ""), Verdict()),
    ],
)
def test_decide(counters, keys, expected):
    assert decide(counters, keys, LIMITS, now=T0 + S) == expected


def test_limits_of_zero_switch_a_kind_off():
    off = Limits(name_and_address=0, address=0, name=0, window=W)
    many = {k: Counter(10_000, T0) for k in ANN_HERE.all()}
    assert decide(many, ANN_HERE, off, now=T0 + S) == Verdict()


def test_existing_keys_keep_their_spelling():
    """Rows written before pairs existed keep counting: same 'user:NAME', 'ip:ADDRESS'."""
    assert ANN_HERE.name == "user:ann" and ANN_HERE.address == "ip:10.0.0.1"
    assert login_keys("ann", "2001:db8::1").address == "ip:2001:db8::1"
    assert ANN_HERE.pair == "pair:10.0.0.1/ann"


@given(st.text(), st.text())
def test_keys_fit_the_column_and_never_collide(a, b):
    """hubtypes_login_throttle.key is String(300): no name or address may overflow it."""
    for key in (name_key(a), pair_key(a, b), pair_key(b, a)):
        assert len(key) <= 300
    if a != b:
        assert name_key(a) != name_key(b)
        assert key_part(a) != key_part(b)
    assert "/" not in key_part(a)
    assert pair_key(a, b).count("/") == 1


def test_long_or_odd_names_get_a_digest():
    assert key_part("x" * 5000).startswith("~") and len(key_part("x" * 5000)) == 41
    assert key_part("a/b").startswith("~") and key_part("~ann").startswith("~")
