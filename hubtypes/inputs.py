"""Validation of what people type: dates, workshops, account requests.

Shared by the command line and the workshop service, so both refuse the same
things with the same words. Each problem is an :class:`InputError` naming the
field and how to fix it; validation happens before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hubtypes.access.names import SLUG_RULE, numbered_usernames, slug_problem, username_problem
from hubtypes.errors import Forbidden, InputError

MAX_ACCOUNTS = 10_000
ROLES = ("participant", "instructor", "admin")
_RELATIVE = re.compile(r"^\+(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_when(value: str, field: str, now: datetime) -> datetime:
    """An ISO 8601 date or date-time (UTC unless it says otherwise), or '+2h' style offsets."""
    text = value.strip()
    if match := _RELATIVE.match(text):
        return now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            field,
            f"{value!r} is not a date; use e.g. 2026-12-01, 2026-12-01T17:00, "
            "2026-12-01T17:00+01:00 or an offset like +3d, +2h, +30m",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


@dataclass(frozen=True)
class WorkshopInput:
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    delete_after: datetime


def check_workshop(
    slug: str, title: str, starts: str, ends: str, delete_after: str, now: datetime
) -> WorkshopInput:
    if problem := slug_problem(slug):
        raise InputError("slug", problem)
    title = title.strip() or slug
    if len(title) > 200:
        raise InputError("title", "at most 200 characters")
    starts_at = parse_when(starts, "starts", now)
    ends_at = parse_when(ends, "ends", now)
    purge_at = parse_when(delete_after, "delete-after", now)
    if ends_at <= starts_at:
        raise InputError("ends", "the workshop must end after it starts")
    if ends_at <= now:
        raise InputError("ends", "is in the past; a new workshop must end in the future")
    if purge_at < ends_at:
        raise InputError("delete-after", "the purge date must be on or after the end")
    return WorkshopInput(slug, title, starts_at, ends_at, purge_at)


def workshop_problems(
    slug: str, title: str, starts: str, ends: str, delete_after: str, now: datetime
) -> list[InputError]:
    """Every problem of a workshop form at once (``check_workshop`` stops at the first),
    so a form can mark each bad field; empty when ``check_workshop`` would accept it."""
    problems: list[InputError] = []
    if problem := slug_problem(slug):
        problems.append(InputError("slug", problem))
    if len((title or "").strip()) > 200:
        problems.append(InputError("title", "at most 200 characters"))
    when: dict[str, datetime] = {}
    for field, value in (("starts", starts), ("ends", ends), ("delete-after", delete_after)):
        if not (value or "").strip():
            problems.append(
                InputError(field, "is empty; give a date, e.g. 2026-12-01T09:00 or +2d")
            )
            continue
        try:
            when[field] = parse_when(value, field, now)
        except InputError as e:
            problems.append(e)
    if "ends" in when:
        if "starts" in when and when["ends"] <= when["starts"]:
            problems.append(InputError("ends", "the workshop must end after it starts"))
        elif when["ends"] <= now:
            problems.append(
                InputError("ends", "is in the past; a new workshop must end in the future")
            )
        if "delete-after" in when and when["delete-after"] < when["ends"]:
            problems.append(
                InputError("delete-after", "the purge date must be on or after the end")
            )
    return problems


def check_count(count: int) -> int:
    if not 1 <= count <= MAX_ACCOUNTS:
        raise InputError("count", f"{count} is out of range; give 1 to {MAX_ACCOUNTS}")
    return count


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError("role", f"{role!r} is not a role; use one of {', '.join(ROLES)}")
    return role


def plan_usernames(prefix: str, count: int, taken: set[str]) -> list[str]:
    """Numbered usernames for a batch, each one checked against the hub's rules."""
    check_count(count)
    names = numbered_usernames(prefix, count, taken)
    for name in (names[0], names[-1]):
        if problem := username_problem(name):
            raise InputError(
                "prefix",
                f"{prefix!r} gives usernames like {name!r} that the hub would reject: "
                f"{problem.split(': use ')[-1]} (prefix included)",
            )
    return names


def check_usernames(names: list[str]) -> list[str]:
    """Explicit usernames: valid, and no duplicates among them."""
    if not names:
        raise InputError("usernames", "give at least one username")
    check_count(len(names))
    seen: set[str] = set()
    for name in names:
        if problem := username_problem(name):
            raise InputError("usernames", problem)
        if name in seen:
            raise InputError("usernames", f"{name!r} is listed twice")
        seen.add(name)
    return names


def split_names(text: str | None) -> list[str]:
    """'ann, bob\ncarl' -> ['ann', 'bob', 'carl'] (commas or new lines between names)."""
    return [n.strip() for n in (text or "").replace("\n", ",").split(",") if n.strip()]


def check_names_or_count(usernames: list[str], count: object) -> int | None:
    """An account request names its accounts or counts them, never both; returns the count.

    ``count`` is what the person gave (None when absent); a bool or a non-integer is
    refused, so a form's "3" must be converted first.
    """
    if usernames and count is not None:
        raise InputError("usernames", "give either usernames or count, not both")
    if usernames:
        check_usernames(usernames)
        return None
    if count is None:
        raise InputError("count", "give a number of accounts to create, or a list of usernames")
    if not isinstance(count, int) or isinstance(count, bool):
        raise InputError("count", "give a whole number of accounts to create")
    return check_count(count)


def check_expiry(
    expires: datetime | None, workshop_delete_after: datetime | None, now: datetime
) -> datetime | None:
    if expires is None:
        return None
    if expires <= now:
        raise InputError("expires", "is in the past; give a time in the future")
    if workshop_delete_after is not None and expires > workshop_delete_after:
        raise InputError(
            "expires", "is after the workshop's purge date; its data would be gone by then"
        )
    return expires


@dataclass(frozen=True)
class Caps:
    """What an instructor may set on their workshop; the operator's choice (the workshop
    service's config). ``None``: no cap. Admins are not capped."""

    max_length: timedelta | None = timedelta(days=14)
    max_grace: timedelta | None = timedelta(days=30)
    purge_notice: timedelta = timedelta(hours=24)
    may_exceed: bool = False
    instructors_add_instructors: bool = True


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:g} days"
    return f"{hours:g} hours"


def check_caps(
    before: WorkshopInput, after: WorkshopInput, caps: Caps, now: datetime, *, admin: bool
) -> bool:
    """Whether a workshop's new dates are within what the person may set.

    Raises :class:`InputError` naming the field and the cap for an instructor who goes
    past one: the length, the grace period, and where the window sits (the purge no later
    than ``now`` + both caps, so a short window set in 2099 is refused too). A value that
    does not get worse than ``before`` is never refused (an admin may have set a long
    workshop). Returns True when an admin moves the purge date
    earlier than the notice allows: an admin action, which the caller audits as such.
    """
    moved_earlier = after.delete_after < before.delete_after
    advanced_purge = moved_earlier and after.delete_after < now + caps.purge_notice
    if admin:
        return advanced_purge
    if advanced_purge:
        raise InputError(
            "delete-after",
            f"an instructor may move the purge date no sooner than {_span(caps.purge_notice)}"
            " from now (c.WorkshopService.purge_notice_hours); ask an admin to purge earlier",
        )
    if caps.may_exceed:
        return False
    length, was = after.ends_at - after.starts_at, before.ends_at - before.starts_at
    if caps.max_length is not None and length > caps.max_length and length > was:
        raise InputError(
            "ends",
            f"the workshop would last {_span(length)}, longer than the {_span(caps.max_length)}"
            " an instructor may set (c.WorkshopService.max_workshop_days); ask an admin",
        )
    grace = after.delete_after - after.ends_at
    was_grace = before.delete_after - before.ends_at
    if caps.max_grace is not None and grace > caps.max_grace and grace > was_grace:
        raise InputError(
            "delete-after",
            f"the purge would come {_span(grace)} after the end, longer than the "
            f"{_span(caps.max_grace)} grace period an instructor may set "
            "(c.WorkshopService.max_grace_days); ask an admin",
        )
    if caps.max_length is not None and caps.max_grace is not None:
        # the caps bound a window's length and grace, not where it sits: the purge may come
        # no later than the longest workshop and grace starting now, or than it already was
        reach = now + caps.max_length + caps.max_grace
        if after.delete_after > max(before.delete_after, reach):
            raise InputError(
                "delete-after",
                f"the purge would come on {after.delete_after:%Y-%m-%d}, later than "
                f"{reach:%Y-%m-%d %H:%M} UTC: the longest workshop an instructor may set "
                f"starting now ({_span(caps.max_length)}) and its grace period "
                f"({_span(caps.max_grace)}; c.WorkshopService.max_workshop_days and "
                "max_grace_days); move the dates nearer, or ask an admin",
            )
    return False


def check_instructor_role(caps: Caps, *, admin: bool) -> None:
    """403 for a non-admin adding an instructor (an account or a grant) on a hub whose
    operator leaves that to admins (``c.WorkshopService.instructors_may_add_instructors``)."""
    if not admin and not caps.instructors_add_instructors:
        raise Forbidden(
            "only admins may add instructors on this hub "
            "(c.WorkshopService.instructors_may_add_instructors)",
            field="role",
        )


__all__ = [
    "InputError",
    "parse_when",
    "check_workshop",
    "check_caps",
    "check_instructor_role",
    "Caps",
    "SLUG_RULE",
]


# --- fields of a request's JSON body ------------------------------------------

# usernames one request may name (the hub is asked about them); more: split the list
MAX_NAMED = 1000


def body_text(body: Mapping[str, Any], key: str, default: str | None = None) -> str:
    """The string field ``key`` of a request body; ``default`` None means required."""
    value = body.get(key, default)
    if value is None:
        raise InputError(key, "is required")
    if not isinstance(value, str):
        raise InputError(key, "must be a string")
    return value


def body_names(value: Any, key: str) -> list[str]:
    """A body's list of usernames (or one string of them), checked; [] when absent."""
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = split_names(value)
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise InputError(key, "a list of usernames")
    if len(value) > MAX_NAMED:
        raise InputError(
            key, f"{len(value)} names in one request; give at most {MAX_NAMED} (split the list)"
        )
    return check_usernames(value)
