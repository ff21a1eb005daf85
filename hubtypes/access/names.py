"""Names hubtypes creates or derives: usernames, workshop slugs and workshop groups.

Usernames hubtypes creates are safe for the hub, for URLs, for system users and pods.

JupyterHub lowercases names by default and rejects '/', empty names and
leading/trailing spaces; system users (LocalProcessSpawner) are limited to 32
characters; Kubernetes and Docker want DNS-friendly names. hubtypes therefore
creates only names matching :data:`USERNAME_RE`, which all of those accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

USERNAME_PATTERN = r"[a-z][a-z0-9_-]{0,31}"
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]{0,62}"  # also the service's URL routes
USERNAME_RE = re.compile(f"^{USERNAME_PATTERN}$")
SLUG_RE = re.compile(f"^{SLUG_PATTERN}$")
USERNAME_RULE = (
    "lowercase letters, digits, '-' and '_', starting with a letter, at most 32 characters"
)
SLUG_RULE = "lowercase letters, digits and '-', starting with a letter or digit, at most 63"


def username_problem(name: str) -> str | None:
    """Why ``name`` would be rejected, or None if it is fine."""
    if not USERNAME_RE.match(name):
        return f"{name!r} is not a valid username: use {USERNAME_RULE}"
    return None


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` is not a usable workshop slug, or None."""
    if not SLUG_RE.match(slug):
        return f"{slug!r} is not a valid workshop slug: use {SLUG_RULE}"
    return None


def numbered_usernames(prefix: str, count: int, taken: set[str]) -> list[str]:
    """``count`` names ``{prefix}{n}`` continuing after the highest number already taken.

    Numbers are zero-padded to at least three digits so lists sort naturally.
    """
    pattern = re.compile(re.escape(prefix) + r"(\d+)$")
    highest = max((int(m.group(1)) for t in taken if (m := pattern.match(t))), default=0)
    width = max(3, len(str(highest + count)))
    return [f"{prefix}{n:0{width}d}" for n in range(highest + 1, highest + count + 1)]


# The hub groups that mirror a workshop: members (participants and instructors) and
# instructors. The authenticator and the workshop service each have a trait for the
# template (they run in different processes); both default to these.
WORKSHOP_GROUP = "workshop-{slug}"
INSTRUCTORS_GROUP = "workshop-{slug}-instructors"
# the one static group whose role gives the workshop service's instruct scope (a role's groups
# must be named in the hub's config, so it cannot be a per-workshop group)
SERVICE_INSTRUCTORS_GROUP = "hubtypes-instructors"


@dataclass(frozen=True)
class GroupNames:
    """A workshop's two hub group names, from the configured templates."""

    members: str = WORKSHOP_GROUP
    instructors: str = INSTRUCTORS_GROUP

    def of(self, slug: str) -> tuple[str, str]:
        return self.members.format(slug=slug), self.instructors.format(slug=slug)
