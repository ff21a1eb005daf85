"""Who may do what in the workshop service: a pure function of an identity and a workshop.

The identity is the *request's token*: its scopes are the ones the hub resolved for
that token (``GET /hub/api/user`` answers ``scopes`` with the token's own expanded
scopes, the intersection of what the token was issued with and what its owner holds;
jupyterhub/apihandlers/users.py ``SelfAPIHandler``, jupyterhub/scopes.py
``get_scopes_for``). Who owns the token never counts: a hub admin's token that holds
only ``access:servers!server=boss/`` (what the admin's single-user server gets) is a
narrow token, whatever the owner's ``admin`` flag says.

- holders of the admin custom scope may do everything;
- holders of the instruct custom scope may manage the workshops hubtypes' database
  lists them as instructor of, and nothing else;
- everyone else gets 403.

Only the unfiltered scopes count: ``custom:workshops:admin!user=x`` is not the admin
scope. Creating workshops, resets and the hub-wide audit log are for admins only.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

ADMIN_SCOPE = "custom:workshops:admin"
INSTRUCT_SCOPE = "custom:workshops:instruct"


class Action(str, enum.Enum):
    list = "list"  # see the workshops list (filtered to one's own)
    create_workshop = "create-workshop"
    view = "view"  # a workshop, its accounts and its audit log
    edit = "edit"  # title and dates
    create_accounts = "create-accounts"
    export = "export"
    update_account = "update-account"  # extend, disable
    reset = "reset"  # preview and run
    audit_all = "audit-all"
    lifecycle = "lifecycle"  # run the periodic task now
    reopen = "reopen"  # open a purged workshop again


ADMIN_ONLY = {
    Action.create_workshop,
    Action.reset,
    Action.audit_all,
    Action.lifecycle,
    Action.reopen,
}


@dataclass(frozen=True)
class Identity:
    """The caller as its token shows it: a name and the token's resolved scopes."""

    name: str
    kind: str = "user"
    scopes: frozenset[str] = frozenset()
    # the owner's hub admin flag, for display only (the hub navigation's Admin link);
    # it never authorises anything
    owner_admin: bool = False

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> Identity:
        """From the hub's answer to ``GET /user`` for the request's token."""
        return cls(
            name=str(model.get("name", "")),
            kind=str(model.get("kind", "user")),
            scopes=frozenset(model.get("scopes") or ()),
            owner_admin=bool(model.get("admin")),
        )

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes

    @property
    def may_instruct(self) -> bool:
        return INSTRUCT_SCOPE in self.scopes


def allowed(
    identity: Identity, action: Action, workshop: str | None, instructs: Collection[str]
) -> bool:
    """Whether ``identity`` may do ``action`` on ``workshop`` (None: no particular one).

    ``instructs``: the workshops hubtypes' database lists ``identity`` as instructor of.
    """
    if identity.is_admin:
        return True
    if action in ADMIN_ONLY or not identity.may_instruct or not instructs:
        return False
    if action is Action.list:
        return True
    return workshop is not None and workshop in instructs


def visible(identity: Identity, workshops: Collection[str], instructs: Collection[str]) -> set[str]:
    """The workshops ``identity`` sees in the list."""
    if identity.is_admin:
        return set(workshops)
    if not identity.may_instruct:
        return set()
    return set(workshops) & set(instructs)
