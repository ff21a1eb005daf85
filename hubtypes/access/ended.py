"""Whether a failed login should hear "this workshop has ended" instead of the generic failure.

After a reset an old card's code fails: the account is gone. Telling its owner that their
workshop has ended (rather than "Invalid username or access code", which sends them to
retype a code that will never work) must not tell anyone else whether a name exists or
existed. So the answer depends on the *name's shape* and on which workshops have been
purged, never on the accounts table:

- a name is a workshop's when it starts with ``{slug}-`` (hubtypes' default naming:
  ``py-001`` is workshop ``py``'s); among all workshops, live or purged, the one with the
  longest matching slug is the name's (``py-2024-001`` is ``py-2024``'s, not ``py``'s);
- if that workshop is purged (its reset finished and no admin reopened it: the workshop's
  state, as :func:`hubtypes.db.queries.resets.purged_workshops` reads it), a failed login
  for the name is told the workshop ended; otherwise (a workshop reopened as a new run
  included), and for names of no workshop's shape, the generic failure.

Every name of a purged workshop's shape gets the same answer whether an account ever had it
or not, and a live workshop's names still get the generic failure, so nothing about any
account is revealed: only that a workshop with that slug has ended, which its participants
were told anyway. A correct code of a live account still logs in (codes are checked first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownWorkshop:
    slug: str
    title: str
    purged: bool  # its reset finished and it was not reopened


def ended_workshop_of(username: str, workshops: Iterable[KnownWorkshop]) -> KnownWorkshop | None:
    """The purged workshop ``username`` is named after, or None (see the module's rules)."""
    matching = [w for w in workshops if username.startswith(w.slug + "-")]
    if not matching:
        return None
    owner = max(matching, key=lambda w: len(w.slug))
    return owner if owner.purged else None


def ended_message(workshop: KnownWorkshop) -> str:
    title = workshop.title or workshop.slug
    return (
        f'The workshop "{title}" has ended and its accounts and files have been removed. '
        "If your workshop is still running, check the username and access code on your card."
    )
