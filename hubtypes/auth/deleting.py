"""One deletion of a hub user at a time, for any authenticator hubtypes ships.

A second ``DELETE /users/{name}`` while the first is under way would go on to the hub's
own removal after the first: JupyterHub's ``UserAPIHandler.delete`` (jupyterhub/apihandlers/
users.py, 5.5.1 and 6.1.1) awaits ``Authenticator.delete_user``, then ``delete_spawners``,
then removes the user by id, which answers 500 and, on SQLite where a freed id is reused,
can remove the user created since. The mixin refuses the second one (409) instead.
"""

from __future__ import annotations

import weakref
from typing import Any

from tornado import web


class OneDeletionAtATime:
    """Mixed in before the authenticator class: ``class X(OneDeletionAtATime, Base)``."""

    _hubtypes_deleting: weakref.WeakSet[Any] | None = None

    def refuse_second_deletion(self, user: Any) -> None:
        """Mark ``user`` as being deleted; 409 if it already is."""
        if self._hubtypes_deleting is None:
            self._hubtypes_deleting = weakref.WeakSet()
        try:
            if user in self._hubtypes_deleting:
                raise web.HTTPError(409, f"{user.name} is already being deleted")
            self._hubtypes_deleting.add(user)
        except TypeError:  # not one of the hub's User objects (no weak references)
            pass
