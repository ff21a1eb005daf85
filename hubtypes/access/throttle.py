"""Login throttling decisions: pure functions over per-key failure counters.

Each key has a fixed window that starts at its first failure. A login counts against
three keys (:func:`login_keys`):

- the pair of name and client address (``pair:ADDRESS/NAME``): once ``name_and_address``
  failures fall in the window, that address may not try that name again until the window
  ends. Guessing a name's code locks the guesser out, not the person at their own desk;
- the client address (``ip:ADDRESS``): once ``address`` failures fall in the window, the
  address may not try any name;
- the name across all addresses (``user:NAME``): once ``name`` failures fall in the
  window (guesses spread over many addresses), every address that has failed for the
  name is refused, and an address that has not may still log in with the right code.

Keys are strings in one column of at most 300 characters: a name or address of the usual
characters is kept readable (so existing ``user:NAME`` and ``ip:ADDRESS`` rows keep
counting), anything else is replaced by a digest, so no input can overflow the column
or make two keys collide.
"""

from __future__ import annotations

import hashlib
import math
import re
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


# Kept readable: what hub usernames and IP addresses are made of. No '/' (the pair's
# separator) and no '~' (the digest marker), so a readable part never equals a digest.
_READABLE = re.compile(r"[a-z0-9][a-z0-9._:@+-]{0,99}")


def key_part(value: str) -> str:
    """``value`` itself if readable and short, else ``~`` and a digest of it."""
    if _READABLE.fullmatch(value):
        return value
    return "~" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def name_key(username: str) -> str:
    return f"user:{key_part(username)}"


def address_key(address: str) -> str:
    return f"ip:{key_part(address)}"


def pair_key(username: str, address: str) -> str:
    return f"pair:{key_part(address)}/{key_part(username)}"


@dataclass(frozen=True)
class LoginKeys:
    """The counters one login attempt is checked against (no address: the name alone)."""

    name: str
    address: str | None = None
    pair: str | None = None

    def all(self) -> list[str]:
        return [k for k in (self.name, self.address, self.pair) if k is not None]


def login_keys(username: str, address: str) -> LoginKeys:
    if not address:
        return LoginKeys(name_key(username))
    return LoginKeys(name_key(username), address_key(address), pair_key(username, address))


@dataclass(frozen=True)
class Limits:
    """Failures allowed within ``window`` per key kind; 0 switches a kind off."""

    name_and_address: int
    address: int
    name: int
    window: timedelta


@dataclass(frozen=True)
class Verdict:
    """``wait``: refuse for this long. ``right_code_only``: the name is being guessed from
    many addresses; this address has not failed for it, so a right code logs in and a
    wrong one is refused (``wait`` is then how long the name stays under that rule)."""

    wait: timedelta | None = None
    right_code_only: bool = False


def decide(
    counters: dict[str, Counter], keys: LoginKeys, limits: Limits, *, now: datetime
) -> Verdict:
    """Whether (and how) this attempt may go ahead, from the counters of its keys."""

    def blocked(key: str | None, limit: int) -> timedelta | None:
        if key is None:
            return None
        return blocked_for(counters.get(key), limit=limit, window=limits.window, now=now)

    for key, limit in ((keys.address, limits.address), (keys.pair, limits.name_and_address)):
        if (wait := blocked(key, limit)) is not None:
            return Verdict(wait)
    # with no address known, the name alone stands in for the pair
    name_limit = limits.name if keys.pair is not None else limits.name_and_address
    name_wait = blocked(keys.name, name_limit)
    if name_wait is None:
        return Verdict()
    # a failure from this address for this name within the window: no more tries here
    if keys.pair is None or blocked(keys.pair, 1) is not None:
        return Verdict(name_wait)
    return Verdict(name_wait, right_code_only=True)
