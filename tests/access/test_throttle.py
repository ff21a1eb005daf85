"""Throttle decisions as a table."""

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.access.throttle import Counter, after_failure, blocked_for, describe_wait

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
