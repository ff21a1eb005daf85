"""Who may do what in the workshop service: a pure function of an identity and a workshop.

- admins (hub admins, or holders of the admin custom scope) may do everything;
- instructors (holders of the instruct custom scope) may manage the workshops
  hubtypes' database lists them as instructor of, and nothing else;
- everyone else (participants) gets 403.

Creating workshops, resets and the hub-wide audit log are for admins only.
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
    name: str
    kind: str = "user"
    admin: bool = False
    scopes: frozenset[str] = frozenset()

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> Identity:
        return cls(
            name=str(model.get("name", "")),
            kind=str(model.get("kind", "user")),
            admin=bool(model.get("admin")),
            scopes=frozenset(model.get("scopes") or ()),
        )

    @property
    def is_admin(self) -> bool:
        return self.admin or ADMIN_SCOPE in self.scopes

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
