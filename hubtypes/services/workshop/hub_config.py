"""The hub-side glue of the workshop service, used by its drop-in config.

Imported by the hub at start, so it imports nothing heavy. The service authorises
by the custom scopes of the request's token, so people get them through roles:

- an instructor gets the instruct scope and access to the service through a role on
  one static group (:data:`INSTRUCTORS_GROUP`): JupyterHub has no REST API to assign
  roles, and a role's groups must be named in the config, so a per-workshop group
  cannot carry it;
- a hub admin gets the admin scope through a role on :data:`ADMINS_GROUP`. The hub's
  own ``admin`` role cannot carry it: JupyterHub refuses to change that role's scopes
  (``roles.create_role``: "Cannot override admin role", in 5.5.1 and 6.1.1 alike), and
  its ``access:services`` does not grant custom scopes.

The post-auth hook puts each user in (or takes them out of) both groups at every login
(the authenticator manages groups, so membership follows each login, and the role is
there at the first one). Participants' logins carry no groups (``None``: the hook leaves
them alone, and the hub runs no group sync for them); the service adds them to their
workshop's group in bulk (:mod:`.groups`). The OAuth token
the hub then issues to the service carries the custom scopes the user holds, because
the service lists them in its ``oauth_client_allowed_scopes``
(jupyterhub/apihandlers/auth.py, ``_resolve_requested_scopes``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from hubtypes.access.names import SERVICE_INSTRUCTORS_GROUP
from hubtypes.services.workshop.authz import ADMIN_SCOPE, INSTRUCT_SCOPE

# WorkshopAccessMixin (OAuth hubs) keeps the same group for instructor grants
INSTRUCTORS_GROUP = SERVICE_INSTRUCTORS_GROUP
ADMINS_GROUP = "hubtypes-admins"
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
        {
            "name": f"hubtypes-{service}-admin",
            "description": "Hub admins: administer every workshop in the workshop service",
            "scopes": [f"access:services!service={service}", ADMIN_SCOPE],
            "groups": [ADMINS_GROUP],
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


def _is_hub_admin(handler: Any, authentication: dict) -> bool:
    """Whether the user logging in is (or stays) a hub admin.

    The hub has settled ``authentication["admin"]`` (``Authenticator.is_admin``, e.g.
    ``admin_users``) before the hook runs; None means "unchanged", so the existing hub
    user's flag counts (an admin made on the admin page).
    """
    flag = authentication.get("admin")
    if flag is not None:
        return bool(flag)
    find_user = getattr(handler, "find_user", None)
    user = find_user(authentication["name"]) if find_user is not None else None
    return bool(getattr(user, "admin", False))


def landing_url(service: str = SERVICE_NAME) -> Callable[[Any], str]:
    """The hub's ``default_url`` (in its tornado settings): hub admins and instructors land
    on the workshop service after login (and at ``/``); everyone else gets the hub's default
    (an empty answer: their server, or the spawn page). Where the operator set
    ``c.JupyterHub.default_url``, that is everyone's.

    JupyterHub calls it with the request's handler (``BaseHandler.get_next_url`` and the
    root handler, 5.5.1 and 6.1.1 alike: jupyterhub/handlers/base.py, pages.py); after a
    login ``handler.current_user`` is the user just logged in, groups already synced, so
    the post-auth hook's groups decide. A ``?next=`` still wins.
    """

    def default_url(handler: Any) -> str:
        chosen = operators_default_url(handler)
        if chosen is not None:  # the operator's choice, for everyone
            return str(chosen(handler) if callable(chosen) else chosen)
        try:
            user = handler.current_user
        except (AttributeError, RuntimeError):  # not resolved for this request
            return ""
        if user is None:
            return ""
        groups = {getattr(g, "name", g) for g in (getattr(user, "groups", None) or [])}
        if getattr(user, "admin", False) or groups & {ADMINS_GROUP, INSTRUCTORS_GROUP}:
            return f"{handler.base_url}services/{service}/"
        return ""

    return default_url


def operators_default_url(handler: Any) -> Any:
    """``c.JupyterHub.default_url`` as the operator set it (a string or a callable), or
    None: the hub passes its whole config to handlers (``settings["config"]``)."""
    config = getattr(handler, "settings", {}).get("config")
    if not config or "JupyterHub" not in config or "default_url" not in config.JupyterHub:
        return None
    return config.JupyterHub.default_url


def post_auth_hook(previous: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A hook putting instructors in :data:`INSTRUCTORS_GROUP` and hub admins in
    :data:`ADMINS_GROUP`, and everyone else in neither (chains ``previous``)."""

    async def hook(authenticator: Any, handler: Any, authentication: dict) -> dict:
        if previous is not None:
            result = previous(authenticator, handler, authentication)
            authentication = await result if inspect.isawaitable(result) else result
        if not authentication or authentication.get("groups") is None:
            return authentication
        name = authentication["name"]
        ours = (INSTRUCTORS_GROUP, ADMINS_GROUP)
        groups = [g for g in authentication["groups"] if g not in ours]
        if await asyncio.to_thread(_is_instructor, authenticator, name):
            groups.append(INSTRUCTORS_GROUP)
        if _is_hub_admin(handler, authentication):
            groups.append(ADMINS_GROUP)
        authentication["groups"] = groups
        return authentication

    return hook
