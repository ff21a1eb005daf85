"""The hub-side glue of the culler, used by its drop-in snippet: the least-privilege role.

Imported by the hub at start, so it imports nothing heavy.

- ``list:users`` + ``read:users:activity`` + ``read:users:groups`` + ``read:servers``:
  page through users with servers and read their activity, groups and server models;
- ``delete:servers``: stop (and remove) servers;
- ``admin:users`` only when it may delete users (binder, workshop participants);
- ``access:servers`` only when it asks single-user servers whether a kernel is busy.
"""

from __future__ import annotations

from typing import Any

SERVICE_NAME = "culler"

BASE_SCOPES = [
    "list:users",
    "read:users:activity",
    "read:users:groups",
    "read:servers",
    "delete:servers",
]


# what the status page shows (who has servers, how idle), and so what a request's token must
# hold to read it; the service asks the hub for these in admins' login tokens
# (oauth_client_allowed_scopes): an admin holds both, through admin:users
STATUS_SCOPES = ["list:users", "read:users:activity"]


def scopes(*, delete_users: bool = True, check_busy: bool = True) -> list[str]:
    """The culler token's scopes for what it is allowed to do."""
    result = list(BASE_SCOPES)
    if delete_users:
        result.append("admin:users")
    if check_busy:
        result.append("access:servers")
    return result


def roles(
    service: str = SERVICE_NAME, *, delete_users: bool = True, check_busy: bool = True
) -> list[dict[str, Any]]:
    return [
        {
            "name": f"hubtypes-{service}-service",
            "description": "The hubtypes culler's own token (least privilege)",
            "scopes": scopes(delete_users=delete_users, check_busy=check_busy),
            "services": [service],
        }
    ]
