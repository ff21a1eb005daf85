"""Access codes: generated, hashed, verified.

A code is 16 symbols from a 31-symbol alphabet with no look-alikes
(no 0/o, 1/l/i), about 79 bits of entropy, grouped in fours so it can be read
aloud: ``k7qm-3xwp-9tdf-ab2c``. With that much entropy a brute-force search is
hopeless even against a fast hash, so codes are stored as salted SHA-256
(microseconds to verify, keeping logins off the slow path) rather than bcrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS = 4
GROUP_SIZE = 4
ENTROPY_BITS = GROUPS * GROUP_SIZE * math.log2(len(ALPHABET))
_SCHEME = "sha256"


def generate_code() -> str:
    """A fresh access code, e.g. ``k7qm-3xwp-9tdf-ab2c``."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE))
    return "-".join(symbols[i : i + GROUP_SIZE] for i in range(0, len(symbols), GROUP_SIZE))


def normalize_code(code: str) -> str:
    """What a person typed, minus case, spaces and dashes (they are only for reading)."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def _digest(salt: bytes, code: str) -> bytes:
    return hashlib.sha256(salt + normalize_code(code).encode("utf-8")).digest()


def hash_code(code: str) -> str:
    """A salted hash of ``code`` for storage: ``sha256$<salt hex>$<digest hex>``."""
    salt = secrets.token_bytes(16)
    return f"{_SCHEME}${salt.hex()}${_digest(salt, code).hex()}"


def verify_code(code: str, stored: str) -> bool:
    """Whether ``code`` matches the stored hash, compared in constant time."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    return hmac.compare_digest(_digest(salt, code), expected)


# Verified against when a username is unknown, so a wrong name costs the same
# time as a wrong code and response timing does not reveal which accounts exist.
DUMMY_HASH = hash_code(generate_code())


def session_predates_code(last_login_at: datetime | None, code_issued_at: datetime | None) -> bool:
    """Whether a hub session was opened with a code that has since been replaced.

    ``code_issued_at`` is set when an account's code is reissued; every successful login
    records ``last_login_at``. A session whose account's last login is older than the
    current code logged in with the old one, so it ends (the authenticator's
    ``refresh_user`` answers False). An account never reissued keeps its sessions.
    """
    if code_issued_at is None:
        return False
    return last_login_at is None or last_login_at < code_issued_at
