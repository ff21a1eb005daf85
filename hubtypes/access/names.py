"""Usernames hubtypes creates: safe for the hub, for URLs, for system users and pods.

JupyterHub lowercases names by default and rejects '/', empty names and
leading/trailing spaces; system users (LocalProcessSpawner) are limited to 32
characters; Kubernetes and Docker want DNS-friendly names. hubtypes therefore
creates only names matching :data:`USERNAME_RE`, which all of those accept.
"""

from __future__ import annotations

import re

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
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
