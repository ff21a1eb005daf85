"""What the workshop login answers when it refuses: the messages and their HTTP status.

The generic failure is the same for a wrong code, an unknown name and a name on no live
workshop, so a refusal never tells a guesser which names exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError

GENERIC_FAILURE = "Invalid username or access code."
UNAVAILABLE = "Logins are unavailable for a moment; please try again in a minute."


def one_line(error: DBAPIError) -> str:
    """The driver's message, first line only: no SQL, no parameters (they hold names)."""
    return (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    retry_after: int | None = None
    dates: dict[str, Any] | None = None  # the person's dates, for the login page
