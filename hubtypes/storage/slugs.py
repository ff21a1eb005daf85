"""Safe path components for user and workshop names.

Storage paths are built from names people choose (usernames, workshop slugs), so
each name goes through :func:`safe_slug` before it becomes a directory, a PVC
name or a label. The rules:

* The output alphabet is ``[a-z0-9-]``: no ``/``, no ``.``, no ``..``, nothing a
  filesystem or Kubernetes treats specially, so a slug can never leave its parent.
* A name that is already a *plain slug* (lowercase letters and digits in groups
  joined by single hyphens, at most :data:`MAX_READABLE` characters) maps to itself.
* Any other name maps to ``{readable}--{hash}``: a readable lowercased part, a
  double hyphen, and 16 hex digits of the SHA-256 of the exact name. Plain slugs
  never contain ``--``, so the two families are disjoint; within the hashed family
  two names collide only if 64 bits of SHA-256 do. The local backend additionally
  records the owner in each home and refuses a mismatch, so even that cannot mix
  two people's files.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

MAX_READABLE = 40
HASH_CHARS = 16

_PLAIN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NOT_SAFE = re.compile(r"[^a-z0-9]+")
# a component of a relative storage path: a slug, or a reserved "_name" folder
_COMPONENT = re.compile(r"^_?[a-z0-9]+(?:-{1,2}[a-z0-9]+)*$")


def is_plain_slug(name: str) -> bool:
    """True if ``name`` is its own slug (see the module docstring)."""
    return len(name) <= MAX_READABLE and _PLAIN.match(name) is not None


def _digest(name: str) -> str:
    # surrogatepass: a str from a broken decoder must still hash, not raise
    data = name.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def safe_slug(name: str) -> str:
    """A directory- and DNS-label-safe slug for ``name``, distinct for distinct names."""
    if is_plain_slug(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    readable = _NOT_SAFE.sub("-", ascii_name.lower()).strip("-")
    readable = readable[:MAX_READABLE].strip("-") or "x"
    return f"{readable}--{_digest(name)}"


def group_name(workshop_slug: str, kind: str) -> str:
    """A system group name (<= 32 chars, as useradd wants) for one workshop's ``kind``.

    ``kind`` is ``"m"`` (members: read-write on shared) or ``"i"`` (instructors:
    write on materials). The hash keeps distinct workshops apart after truncation.
    """
    if kind not in ("m", "i"):
        raise ValueError(f"unknown group kind {kind!r}")
    return f"ht-{workshop_slug[:14].strip('-')}-{_digest(workshop_slug)[:8]}-{kind}"


def check_relative(subpath: str) -> str:
    """Validate a relative storage path made of slugs; return it unchanged.

    Raises ValueError for anything that is absolute, empty, or has a component
    that is not a slug (``..``, ``.``, ``a/b`` smuggled in, etc.).
    """
    parts = subpath.split("/")
    if not subpath or any(_COMPONENT.match(p) is None for p in parts):
        raise ValueError(f"unsafe storage path {subpath!r}")
    return subpath


def safe_join(root: str, subpath: str) -> str:
    """``root/subpath`` after checking that ``subpath`` is made of slugs only.

    The result is lexically inside ``root``; symlinks are the caller's business
    (the safe-delete and directory-creation code never follows them).
    """
    check_relative(subpath)
    root = os.path.normpath(os.path.abspath(root))
    path = os.path.normpath(os.path.join(root, *subpath.split("/")))
    if os.path.commonpath([root, path]) != root or path == root:
        raise ValueError(f"{subpath!r} escapes {root!r}")
    return path


__all__ = [
    "MAX_READABLE",
    "check_relative",
    "group_name",
    "is_plain_slug",
    "safe_join",
    "safe_slug",
]
