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


def template_problem(template: str) -> str | None:
    """Why a group template cannot be used, or None (exactly one ``{slug}``)."""
    if template.count("{slug}") != 1 or template.replace("{slug}", "").count("{") > 0:
        return f"{template!r} must contain {{slug}} exactly once (and no other {{...}})"
    return None


@dataclass(frozen=True)
class GroupNames:
    """A workshop's two hub group names, from the configured templates."""

    members: str = WORKSHOP_GROUP
    instructors: str = INSTRUCTORS_GROUP

    def __post_init__(self) -> None:
        for template in (self.members, self.instructors):
            if problem := template_problem(template):
                raise ValueError(problem)
        if self.members == self.instructors:
            raise ValueError("the members and instructors group templates must differ")
        if self.members.format(slug="workshop") in self.partners("workshop").values():
            raise ValueError(
                f"with {self.members!r} and {self.instructors!r}, a workshop's group would "
                "be another's instructors group: give the instructors template a suffix, "
                "e.g. '{slug}-instructors'"
            )

    def of(self, slug: str) -> tuple[str, str]:
        return self.members.format(slug=slug), self.instructors.format(slug=slug)

    def partners(self, slug: str) -> dict[str, str]:
        """Other slugs (of the slug pattern) whose groups would share a name with
        ``slug``'s groups, each with the shared name."""
        found: dict[str, str] = {}
        for name in self.of(slug):
            for template in (self.members, self.instructors):
                prefix, suffix = template.split("{slug}")
                if len(name) <= len(prefix) + len(suffix):
                    continue
                if name.startswith(prefix) and name.endswith(suffix):
                    other = name[len(prefix) : len(name) - len(suffix)]
                    if other != slug and SLUG_RE.match(other):
                        found[other] = name
        return found


def new_slug_problem(slug: str, groups: GroupNames, existing: set[str]) -> str | None:
    """Why a *new* workshop may not be called ``slug``, or None.

    No two workshops' groups may share a name. When a slug's members group would be
    another slug's instructors group (``gc-instructors`` and ``gc`` with the default
    templates), the first is reserved and refused whether or not the other exists; the
    other is refused only if the first exists already (made before this rule).
    """
    if problem := slug_problem(slug):
        return problem
    members, _ = groups.of(slug)
    for other, name in sorted(groups.partners(slug).items()):
        if name == members:
            return (
                f"{slug!r} would name the hub group {name!r}, which is workshop {other!r}'s "
                "instructors group (such slugs are reserved); choose another slug"
            )
        if other in existing:
            return (
                f"{slug!r}'s instructors group {name!r} is the group of workshop {other!r}; "
                "choose another slug"
            )
    return None
