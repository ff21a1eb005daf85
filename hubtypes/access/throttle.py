"""Login throttling decisions: pure functions over a per-key failure counter.

Each key ("user:NAME", "ip:ADDRESS") has a fixed window that starts at its
first failure. Once ``limit`` failures fall in the window, every attempt for
that key is refused — even with the right code — until the window ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubtypes.clock import as_utc


@dataclass(frozen=True)
class Counter:
    failures: int
    window_start: datetime


def blocked_for(
    counter: Counter | None, *, limit: int, window: timedelta, now: datetime
) -> timedelta | None:
    """How long this key is still refused, or None if it may try now."""
    if counter is None or limit <= 0:
        return None
    ends = as_utc(counter.window_start) + window
    if as_utc(now) >= ends or counter.failures < limit:
        return None
    return ends - as_utc(now)


def after_failure(counter: Counter | None, *, window: timedelta, now: datetime) -> Counter:
    """The counter after one more failure at ``now`` (a stale window starts afresh)."""
    if counter is None or as_utc(now) >= as_utc(counter.window_start) + window:
        return Counter(1, as_utc(now))
    return Counter(counter.failures + 1, as_utc(counter.window_start))


def describe_wait(wait: timedelta) -> str:
    """'2 minutes', '45 seconds': rounded up, for the person at the login form."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds >= 90:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minutes"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
