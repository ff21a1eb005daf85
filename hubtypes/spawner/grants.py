"""The spawner's side of workshop grants: which server of a granted identity is the workshop's.

A guest (only the grant lets them in) runs the workshop in every server, the default one
included; a community member (the base authenticator allows them) keeps their community
server and home and runs the workshop in its own named server, ``workshop-<slug>``, with
the workshop's home, materials and shared folders (:func:`hubtypes.access.grants.
workshop_account_for_server` decides). That named server owns its home, so removing the
server (the purge does, through the hub's API) archives or deletes it by the workshop
policy, where other named servers share the user's home and keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubtypes.access.grants import WORKSHOP_SERVER_PREFIX, workshop_account_for_server
from hubtypes.records import AccountView
from hubtypes.storage.slugs import safe_slug


def grant_account(session: Any, username: str, server_name: str) -> AccountView | None:
    """The workshop account ``server_name`` of ``username`` spawns as, from their grant."""
    from hubtypes.db.queries.grants import grant_for

    return workshop_account_for_server(grant_for(session, username), server_name)


def owns_home(stored: Mapping[str, str], server_name: str) -> bool:
    """Whether a named server is a community member's workshop server (its home is its own)."""
    if stored.get("type") != "workshop" or not server_name.startswith(WORKSHOP_SERVER_PREFIX):
        return False
    slug = server_name[len(WORKSHOP_SERVER_PREFIX) :]
    return bool(slug) and safe_slug(slug) == stored.get("workshop")
