"""The hub-side glue of the workshop service, used by its drop-in config.

Imported by the hub at start, so it imports nothing heavy. An instructor gets
the service's instruct scope and access to it through a role on one static
group (:data:`INSTRUCTORS_GROUP`): JupyterHub has no REST API to assign roles,
and a role's groups must be named in the config, so a per-workshop group cannot
carry it. The post-auth hook adds that group to an instructor's login groups
(the authenticator manages groups, so an instructor's membership follows each login and
the role is there at the first one). Participants' logins carry no groups (``None``: the
hook leaves them alone); the service adds them to their workshop's group in bulk.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from hubtypes.services.workshop.authz import ADMIN_SCOPE, INSTRUCT_SCOPE

INSTRUCTORS_GROUP = "hubtypes-instructors"
SERVICE_NAME = "workshop"

CUSTOM_SCOPES = {
    ADMIN_SCOPE: {
        "description": "Administer every workshop: create workshops, preview and run resets.",
    },
    INSTRUCT_SCOPE: {
        "description": "Manage the workshops one instructs: accounts, dates, exports.",
    },
}

# what the service's own token may do on the hub
SERVICE_SCOPES = [
    "admin:users",  # list and delete users (the hub then removes accounts and storage)
    "admin:servers",  # stop servers, named ones too
    "tokens",  # delete locked users' tokens
    "admin:groups",  # create workshop groups, write their properties
]


def roles(service: str = SERVICE_NAME) -> list[dict[str, Any]]:
    return [
        {
            "name": f"hubtypes-{service}-service",
            "description": "The workshop service's own token",
            "scopes": list(SERVICE_SCOPES),
            "services": [service],
        },
        {
            "name": f"hubtypes-{service}-instructor",
            "description": "Workshop instructors: see and use the workshop service",
            "scopes": [f"access:services!service={service}", INSTRUCT_SCOPE],
            "groups": [INSTRUCTORS_GROUP],
        },
    ]


def _is_instructor(authenticator: Any, username: str) -> bool:
    from hubtypes.db.database import HubTypesDatabase
    from hubtypes.db.queries.accounts import account_view

    database = getattr(authenticator, "database", None)
    if database is None:
        database = HubTypesDatabase(parent=authenticator).connect()
    with database.session() as session:
        view = account_view(session, username)
    return view is not None and view.role == "instructor"


def post_auth_hook(previous: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A hook adding :data:`INSTRUCTORS_GROUP` to instructors' groups (chains ``previous``)."""

    async def hook(authenticator: Any, handler: Any, authentication: dict) -> dict:
        if previous is not None:
            result = previous(authenticator, handler, authentication)
            authentication = await result if inspect.isawaitable(result) else result
        if not authentication or authentication.get("groups") is None:
            return authentication
        name = authentication["name"]
        groups = [g for g in authentication["groups"] if g != INSTRUCTORS_GROUP]
        if await asyncio.to_thread(_is_instructor, authenticator, name):
            groups.append(INSTRUCTORS_GROUP)
        authentication["groups"] = groups
        return authentication

    return hook
