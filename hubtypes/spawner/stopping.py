"""How the mixin stops a server: at once when its data is about to be deleted.

JupyterHub calls ``spawner.stop()`` without ``now`` for every stop it is asked for
(jupyterhub/user.py ``User.stop``), so every server stops gently: LocalProcessSpawner sends
SIGINT, waits ``interrupt_timeout``, then SIGTERM and SIGKILL; KubeSpawner deletes the pod
with ``delete_grace_period``. For a server a reset (or purge) is about to delete that is
only cost: fifty jupyter-servers winding down at once starved a 2-core hub for 18 s and
its event loop for 3.45 s. Their stop takes the spawner's own ``now=True`` path instead
(jupyterhub/spawner.py ``LocalProcessSpawner.stop``: straight to SIGTERM, then SIGKILL;
kubespawner/spawner.py ``KubeSpawner.stop``: grace period 0).

Which servers: those of an account a running reset has disabled, read from hubtypes'
database (:func:`hubtypes.db.queries.accounts.being_deleted`), never from the hub's groups.

Once stopped, a server whose policy deletes its home on stop loses that home, and only if
it is the server's own (:func:`hubtypes.storage.mounts.own_home`): never a home another
server of the same user is using.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from hubtypes.storage.hub_types import HubType, StorageAction
from hubtypes.storage.mounts import own_home


def takes_now(stop: Callable[..., Any]) -> bool:
    """Whether ``stop`` accepts ``now`` (some spawners' stop() takes no arguments)."""
    try:
        params = inspect.signature(stop).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "now" or p.kind is p.VAR_KEYWORD for p in params)


async def being_deleted(spawner: Any) -> bool:
    """Whether a running reset is about to delete ``spawner``'s user (False if unsure)."""
    from hubtypes.db.database import HubTypesDatabase
    from hubtypes.db.queries.accounts import being_deleted as query

    database = HubTypesDatabase(parent=spawner)
    name = spawner.user.name

    def read() -> bool:
        with database.connect().session() as session:
            return query(session, name)

    try:
        return await asyncio.to_thread(read)
    except Exception as e:  # the database is down: a gentle stop is still a stop
        spawner.log.warning(f"hubtypes: cannot tell whether {name} is being reset ({e})")
        return False


async def stop_arguments(
    spawner: Any, stop: Callable[..., Any], args: tuple, kwargs: dict[str, Any]
) -> tuple[tuple, dict[str, Any]]:
    """The arguments for the wrapped spawner's ``stop``: as JupyterHub called it, plus
    ``now=True`` when it did not say and the user's data is about to be deleted."""
    if args or "now" in kwargs or not takes_now(stop):
        return args, kwargs
    if not await being_deleted(spawner):
        return args, kwargs
    spawner.log.info(f"hubtypes: {spawner.user.name} is being reset; stopping at once")
    return args, {**kwargs, "now": True}


async def remove_ephemeral_home(spawner: Any, stored: dict[str, str]) -> None:
    """After the wrapped spawner's stop: delete the server's home if its policy deletes
    homes on stop and the home is this server's own. Never raises: the server has stopped."""
    name = getattr(spawner, "name", "") or ""
    try:
        if not stored or spawner._policies()[HubType(stored["type"])].on_stop != (
            StorageAction.delete
        ):
            return
        if stored["home"] != own_home(stored, name):
            # a home shared by the user's servers (a state written while the policy kept
            # homes, before an operator's on_stop: delete): another server may be using it
            spawner.log.warning(
                f"hubtypes: {spawner.user.name}'s server {name!r} stopped; its home "
                f"{stored['home']} is not its own, so it is kept (it goes when the user does)"
            )
            return
        await spawner.hubtypes_backend().remove_home(spawner, stored, StorageAction.delete)
    except Exception:
        # the server has stopped; a home that could not go now is retried at deletion
        spawner.log.exception(
            "hubtypes: %s's server stopped, but its ephemeral home %s was not removed",
            spawner.user.name,
            stored.get("home"),
        )


__all__ = ["being_deleted", "remove_ephemeral_home", "stop_arguments", "takes_now"]
