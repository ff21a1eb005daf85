"""How the mixin stops a server: at once when its data is about to be deleted.

JupyterHub calls ``spawner.stop()`` without ``now`` for every stop it is asked for
(jupyterhub/user.py ``User.stop``), so every server stops gently: LocalProcessSpawner sends
SIGINT, waits ``interrupt_timeout``, then SIGTERM and SIGKILL; KubeSpawner deletes the pod
with ``delete_grace_period``. For a server a reset (or purge) is about to delete that is
only cost: fifty jupyter-servers winding down at once starved a 2-core hub for 18 s and
its event loop for 3.45 s. Their stop takes the spawner's own ``now=True`` path instead
(jupyterhub/spawner.py ``LocalProcessSpawner.stop``: straight to SIGTERM, then SIGKILL;
kubespawner/spawner.py ``KubeSpawner.stop``: grace period 0).

A local server gets less still: SIGKILL, to it and every process it started. Its SIGTERM
is a JupyterLab server's orderly shutdown, measured at 0.6 s of CPU each (one server of a
real hub, alone): fifty of them cost the two cores some 30 s while the hub, waiting for
them, did nothing. Nothing that shutdown saves outlives the reset. The tree, not the
process group: jupyter_client starts each kernel in a session of its own, so killing the
server alone would leave its kernels running with nobody to stop them.

Which servers: those of an account a running reset has disabled, read from hubtypes'
database (:func:`hubtypes.db.queries.accounts.being_deleted`), never from the hub's groups.

Once stopped, a server whose policy deletes its home on stop loses that home, and only if
it is the server's own (:func:`hubtypes.storage.mounts.own_home`): never a home another
server of the same user is using.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import inspect
import os
import signal
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


def descendants(children: Callable[[int], list[int]], pid: int) -> list[int]:
    """Every process below ``pid``, parents before their children; ``children(p)`` are
    p's direct children (pure: the caller reads them)."""
    found: list[int] = []
    todo = children(pid)
    while todo:
        p = todo.pop(0)
        if p not in found and p != pid:
            found.append(p)
            todo.extend(children(p))
    return found


def _children(pid: int) -> list[int]:
    """``pid``'s children, from every one of its threads (Linux's /proc)."""
    kids: list[int] = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:
            continue  # the thread or the process has ended
    return kids


def kill_tree(pid: int) -> int | None:
    """SIGKILL ``pid`` and every process below it; how many there were below, or None
    when that cannot be done here (no /proc children files, not permitted), for the
    stock stop to do its work. The server is stopped first, so it starts nothing new."""
    if not glob.glob(f"/proc/{pid}/task/*/children"):
        return None
    try:
        os.kill(pid, signal.SIGSTOP)
        below = descendants(_children, pid)
        for p in [pid, *below]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass  # ended on its own meanwhile
    except ProcessLookupError:
        return 0  # the server has ended already
    except PermissionError:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)  # as it was, for the stock stop
        return None
    return len(below)


def local_pid(spawner: Any) -> int | None:
    """The server's process id, for LocalProcessSpawner and its subclasses only."""
    from jupyterhub.spawner import LocalProcessSpawner

    pid = getattr(spawner, "pid", 0) if isinstance(spawner, LocalProcessSpawner) else 0
    return int(pid) if pid else None


async def prepare_stop(
    spawner: Any, stop: Callable[..., Any], args: tuple, kwargs: dict[str, Any]
) -> tuple[tuple, dict[str, Any]]:
    """The arguments for the wrapped spawner's ``stop``: as JupyterHub called it, plus
    ``now=True`` when it did not say and the user's data is about to be deleted; then a
    local server's processes are killed at once (the stop finds them gone)."""
    if args or "now" in kwargs or not takes_now(stop):
        return args, kwargs
    if not await being_deleted(spawner):
        return args, kwargs
    name = spawner.user.name
    spawner.log.info(f"hubtypes: {name} is being reset; stopping at once")
    pid = local_pid(spawner)
    if pid is not None:
        below = await asyncio.to_thread(kill_tree, pid)
        if below is not None:
            spawner.log.info(
                f"hubtypes: killed {name}'s server (pid {pid}) and the {below} process(es) "
                "it started: its files are about to be deleted"
            )
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


__all__ = [
    "being_deleted",
    "descendants",
    "kill_tree",
    "prepare_stop",
    "remove_ephemeral_home",
    "takes_now",
]
