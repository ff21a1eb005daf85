"""What a participant is told about their dates: when their access ends, when their files go.

Pure functions of an :class:`~hubtypes.records.AccountView` (or a credential's fields) and
``now``. Every place a person sees their dates words them the same way: the login page's
refusals, the banner on the hub's pages, the file in the workshop home, the printed card and
the CSV. Times are written in UTC here; pages show them in the viewer's own time zone too
(``<time datetime=...>``, converted by the browser), since a server cannot know that zone.

Who has which dates:

- a participant: access ends at their lock time (:func:`hubtypes.access.expiry.lock_time`),
  files are deleted after the workshop's purge date;
- instructors and admins are staff: only their own ``expires_at`` (if any) ends their
  access, and a workshop's purge never deletes them, so they have no deletion date.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hubtypes.access.expiry import AccountState, AccountStatus, lock_time
from hubtypes.clock import as_utc, human
from hubtypes.records import AccountView, WorkshopView

DATES_FILE = "WORKSHOP-DATES.md"


class Phase(str, enum.Enum):
    """Where the person is relative to their dates (the banner's style follows it)."""

    upcoming = "upcoming"  # the workshop has not opened yet
    active = "active"
    ending = "ending"  # access ends within the warning window
    ended = "ended"  # access has ended; files not yet deleted
    deleted = "deleted"  # the deletion date has passed


@dataclass(frozen=True)
class Dates:
    """A person's two dates (either may be unknown: None)."""

    title: str = ""
    opens: datetime | None = None
    ends: datetime | None = None
    deleted_after: datetime | None = None

    @property
    def empty(self) -> bool:
        return self.ends is None and self.deleted_after is None


def account_dates(account: AccountView) -> Dates:
    """The dates of an account (empty for an admin without an end, or no workshop)."""
    ws = account.workshop
    ends = lock_time(account)
    participant = account.role == "participant" and ws is not None
    return Dates(
        title=(ws.title or ws.slug) if ws is not None else "",
        opens=as_utc(ws.starts_at) if participant and ws is not None else None,
        ends=ends,
        deleted_after=as_utc(ws.delete_after) if participant and ws is not None else None,
    )


def credential_dates(
    role: str, expires_at: datetime | None, workshop: WorkshopView | None
) -> tuple[datetime | None, datetime | None]:
    """(access ends, files deleted after) of a just-created account: the card and the CSV."""
    view = AccountView(username="", role=role, workshop=workshop, expires_at=expires_at)
    dates = account_dates(view)
    return dates.ends, dates.deleted_after


def phase(dates: Dates, now: datetime, warn_before: timedelta) -> Phase:
    now = as_utc(now)
    if dates.deleted_after is not None and now >= dates.deleted_after:
        return Phase.deleted
    if dates.ends is not None and now >= dates.ends:
        return Phase.ended
    if dates.opens is not None and now < dates.opens:
        return Phase.upcoming
    if dates.ends is not None and warn_before > timedelta(0) and now >= dates.ends - warn_before:
        return Phase.ending
    return Phase.active


def minutes_left(dates: Dates, now: datetime) -> int | None:
    """Whole minutes until access ends, rounded up (None: no end, or already ended)."""
    if dates.ends is None or as_utc(now) >= dates.ends:
        return None
    seconds = (dates.ends - as_utc(now)).total_seconds()
    return max(1, int(-(-seconds // 60)))


def sentence(dates: Dates, now: datetime) -> str:
    """The one line, in UTC: "Your access ends … · your files are deleted after …"."""
    now = as_utc(now)
    parts = []
    if dates.ends is not None:
        verb = "ended" if now >= dates.ends else "ends"
        parts.append(f"Your access {verb} {human(dates.ends)}")
    if dates.deleted_after is not None:
        # the policy, true before and after the date (a reset may run a little later)
        parts.append(f"your files are deleted after {human(dates.deleted_after)}")
    if not parts:
        return ""
    text = " · ".join(parts)
    return text[0].upper() + text[1:] + "."


def warning(dates: Dates, now: datetime) -> str:
    """The warning shown shortly before access ends."""
    left = minutes_left(dates, now)
    if left is None:
        return ""
    unit = "minute" if left == 1 else "minutes"
    return (
        f"Your workshop access ends in {left} {unit}: save your work and download what you "
        "want to keep now."
    )


def _iso(value: datetime | None) -> str:
    """For ``<time datetime>``: whole seconds, with the offset, as every browser parses."""
    return as_utc(value).isoformat(timespec="seconds") if value else ""


def notice(dates: Dates, now: datetime, warn_before: timedelta) -> dict[str, Any] | None:
    """What the hub's pages show (``hubtypes_dates`` in the templates), or None.

    ISO times go in ``<time datetime>`` for the browser; the ``*_text`` ones are the UTC
    fallback the page shows without JavaScript.
    """
    if dates.empty:
        return None
    state = phase(dates, now, warn_before)
    return {
        "title": dates.title,
        "phase": state.value,
        "ends": _iso(dates.ends),
        "ends_text": human(dates.ends) if dates.ends else "",
        "deleted_after": _iso(dates.deleted_after),
        "deleted_after_text": human(dates.deleted_after) if dates.deleted_after else "",
        "ended": state in (Phase.ended, Phase.deleted),
        "deleted": state is Phase.deleted,
        "minutes_left": minutes_left(dates, now),
        "sentence": sentence(dates, now),
        "warning": warning(dates, now) if state is Phase.ending else "",
    }


def refusal(status: AccountStatus, dates: Dates, now: datetime) -> str:
    """A login refusal's message followed by what it does not say yet of the person's dates,
    so a refused participant still learns them."""
    if status.state is AccountState.not_yet_open:
        extra = sentence(dates, now)
    elif status.state is AccountState.locked and dates.deleted_after is not None:
        extra = f"Your files are deleted after {human(dates.deleted_after)}."
    else:  # purge due: the message says it all
        extra = ""
    return f"{status.message} {extra}" if extra else status.message


def dates_markdown(dates: Dates, generated: datetime) -> str:
    """The notice the spawner places in a workshop home (:data:`DATES_FILE`)."""
    lines = [f"# Your workshop dates{': ' + dates.title if dates.title else ''}", ""]
    if dates.ends is not None:
        lines.append(f"- **Your access ends:** {human(dates.ends)}")
    if dates.deleted_after is not None:
        lines.append(f"- **Your files are deleted after:** {human(dates.deleted_after)}")
    lines += [
        "",
        "Times are in UTC. The hub's home page shows them in your own time zone.",
        "",
        "## Keep your work",
        "",
        "Before your files are deleted, download what you want to keep:",
        "",
        "- a whole folder: right-click it in the file browser and choose",
        "  **Download as an Archive** (a `.zip` of the folder and everything in it);",
        "- everything: right-click an empty part of the file browser at the top folder and",
        "  choose **Download Current Folder as an Archive**;",
        "- one file: right-click it and choose **Download**.",
        "",
        f"_The hub rewrites this file each time your server starts "
        f"(last: {human(generated)}); editing it changes nothing._",
        "",
    ]
    return "\n".join(lines)
