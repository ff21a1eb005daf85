"""Stopping servers and pacing bulk work on the hub: both services need it.

The hub answers a stop with 202 while the spawner is still stopping, so "asked to stop"
is not "stopped": :func:`stop_servers_and_wait` polls the user's model until no server is
ready or pending, asking again for any that is neither (a stop the hub lost, e.g. across a
restart). :func:`stop_many_and_wait` does the same for many users with one listing a
poll: one ``GET /users/{name}`` per user per poll costs the hub a user lookup each (during
a reset of 50 servers, a quarter of the hub's CPU went to those polls, py-spy showed).

:func:`paced_map` runs many hub requests (deleting a reset's users) with as many in flight
as keep the hub answering a trivial request within a target time: the hub does that work on
one event loop, and a slow answer means the loop is busy enough that the hub's other users
(logins, proxied pages) wait too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from hubtypes.hub.client import HubAPI
from hubtypes.records import running_servers


async def stop_servers_and_wait(
    hub: HubAPI, name: str, servers: Iterable[str], *, timeout: float
) -> None:
    """Stop ``servers`` of user ``name`` and wait until none of theirs runs or is pending.

    Raises :class:`TimeoutError` after ``timeout`` seconds.
    """
    for server in servers:
        await hub.stop_server(name, server)
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        model = await hub.user(name)
        if model is None or not running_servers(model):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}'s servers did not stop in {timeout:.0f}s")
        await _ask_again(hub, name, model)
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 1.0)


async def stop_many_and_wait(
    hub: HubAPI,
    servers: Mapping[str, Iterable[str]],
    *,
    timeout: float,
    limit: int,
    on_stopped: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Stop ``servers`` (user name → server names) and wait until none of those users has
    a server that runs or is pending, calling ``on_stopped(name)`` as each one's are gone.

    Stops are asked ``limit`` at a time; then one listing a poll (``state=active``, by the
    names' common prefix, ``name_filter``: a superset, read page by page) tells which users
    still have servers. Raises :class:`TimeoutError` after ``timeout`` seconds.
    """
    names = sorted(servers)
    if not names:
        return

    async def ask(name: str) -> None:
        for server in servers[name]:
            await hub.stop_server(name, server)

    for result in await hub.map(ask, names, limit=limit):
        if isinstance(result, BaseException):
            raise result
    waiting = set(names)
    prefix = os.path.commonprefix(names)
    params = {"state": "active", **({"name_filter": prefix} if prefix else {})}
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        active = {u["name"]: u async for u in hub.paginate("/users", params)
                  if u["name"] in waiting}  # fmt: skip
        for name in sorted(waiting - {n for n, u in active.items() if running_servers(u)}):
            waiting.discard(name)
            if on_stopped is not None:
                await on_stopped(name)
        if not waiting:
            return
        if time.monotonic() > deadline:
            left = ", ".join(sorted(waiting)[:5])
            raise TimeoutError(f"servers of {len(waiting)} users ({left}…) did not stop "
                               f"in {timeout:.0f}s")  # fmt: skip
        for name in sorted(waiting):
            await _ask_again(hub, name, active[name])
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 1.0)


async def _ask_again(hub: HubAPI, name: str, model: dict[str, Any]) -> None:
    """Stop again each server of ``model`` that runs and is not stopping: a stop the hub
    lost (e.g. across a restart)."""
    for server in running_servers(model):
        if not (model.get("servers") or {}).get(server, {}).get("pending"):
            await hub.stop_server(name, server)


T = TypeVar("T")
R = TypeVar("R")


async def paced_map(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    limit: int,
    probe: Callable[[], Awaitable[object]],
    target: float = 1.0,
    every: float = 0.25,
) -> list[R | BaseException]:
    """``fn`` over ``items`` (results in order, exceptions returned), with as many at once
    as keep the hub responsive: ``probe`` (a trivial request) is timed every ``every``
    seconds; one more call may run after each probe answered within ``target / 4``, half as
    many after one that took longer than ``target`` (at least 1, at most ``limit``).

    The calls' own duration is no signal: deleting a user on Kubernetes waits seconds for a
    cleanup pod while the hub idles; a slow trivial request means the hub's loop is busy.
    """
    todo = list(enumerate(items))
    results: list[R | BaseException | None] = [None] * len(todo)
    allowed = 1.0
    running = 0
    changed = asyncio.Condition()

    async def one(index: int, item: T) -> None:
        nonlocal running
        try:
            results[index] = await fn(item)
        except Exception as e:
            results[index] = e
        async with changed:
            running -= 1
            changed.notify_all()

    async def watch() -> None:
        nonlocal allowed
        while True:
            started = time.monotonic()
            try:
                await probe()
            except Exception:
                pass  # the calls themselves report a hub that is down
            took = time.monotonic() - started
            async with changed:
                if took > target:
                    allowed = max(1.0, allowed / 2)
                elif took < target / 4:
                    allowed = min(float(limit), allowed + 1)
                changed.notify_all()
            await asyncio.sleep(every)

    def room() -> bool:
        return running < int(allowed)

    watcher = asyncio.create_task(watch())
    tasks = []
    try:
        for index, item in todo:
            async with changed:
                await changed.wait_for(room)
                running += 1
            tasks.append(asyncio.create_task(one(index, item)))
        await asyncio.gather(*tasks)
    finally:
        watcher.cancel()
    return results  # type: ignore[return-value]


__all__ = ["paced_map", "stop_servers_and_wait"]
