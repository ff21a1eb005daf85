"""Stop every server of a user and wait until the hub says none runs: both services need it.

The hub answers a stop with 202 while the spawner is still stopping, so "asked to stop"
is not "stopped": this polls the user's model until no server is ready or pending,
asking again for any that is neither (a stop the hub lost, e.g. across a restart).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

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


__all__ = ["stop_servers_and_wait"]
