"""Stopping servers and pacing bulk work on the hub: both services need it.

The hub answers a stop with 202 while the spawner is still stopping, so "asked to stop"
is not "stopped": :func:`stop_servers_and_wait` polls the user's model until no server is
ready or pending, asking again for any that is neither (a stop the hub lost, e.g. across a
restart).

:func:`paced_map` runs many hub requests (deleting a reset's users) with as many in flight
as keep each answer within a target time: the hub does that work on one event loop, and a
request that takes longer than ``target`` means the loop is busy enough that the hub's
other users (logins, proxied pages) wait too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

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
        for server in running_servers(model):
            if not (model.get("servers") or {}).get(server, {}).get("pending"):
                await hub.stop_server(name, server)
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 1.0)


T = TypeVar("T")
R = TypeVar("R")


async def paced_map(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    limit: int,
    target: float = 1.0,
) -> list[R | BaseException]:
    """``fn`` over ``items`` (results in order, exceptions returned), adapting how many run
    at once: one at first, one more after each call answered within ``target / 2`` seconds,
    half as many after one that took longer than ``target`` (never more than ``limit``)."""
    todo = list(enumerate(items))
    results: list[R | BaseException | None] = [None] * len(todo)
    allowed = 1.0
    running = 0
    changed = asyncio.Condition()

    async def one(index: int, item: T) -> None:
        nonlocal allowed, running
        started = time.monotonic()
        try:
            results[index] = await fn(item)
        except Exception as e:
            results[index] = e
        took = time.monotonic() - started
        async with changed:
            running -= 1
            if took > target:
                allowed = max(1.0, allowed / 2)
            elif took < target / 2:
                allowed = min(float(limit), allowed + 1)
            changed.notify_all()

    def room() -> bool:
        return running < int(allowed)

    tasks = []
    for index, item in todo:
        async with changed:
            await changed.wait_for(room)
            running += 1
        tasks.append(asyncio.create_task(one(index, item)))
    await asyncio.gather(*tasks)
    return results  # type: ignore[return-value]


__all__ = ["paced_map", "stop_servers_and_wait"]
