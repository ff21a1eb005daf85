"""How a reset paces its deletions: by how fast the hub answers a trivial request, not by
how long each deletion takes (hubtypes/hub/servers.py ``paced_map``)."""

from __future__ import annotations

import asyncio

from hubtypes.hub.servers import paced_map


async def test_more_at_once_while_the_hub_answers_fast():
    in_flight, most = 0, 0
    enough = asyncio.Event()

    async def delete(i: int) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight >= 4:
            enough.set()
        await asyncio.wait_for(enough.wait(), 10)  # a slow deletion: a cleanup pod, say
        in_flight -= 1
        return i * 2

    async def fast_probe() -> None:
        return None

    results = await paced_map(delete, range(12), limit=4, probe=fast_probe, every=0.001)
    assert results == [i * 2 for i in range(12)]
    assert most == 4  # grew to the limit, never past it


async def test_one_at_a_time_while_the_hub_is_slow_and_errors_are_returned():
    in_flight, most = 0, 0

    async def delete(i: int) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        if i == 3:
            raise RuntimeError("hub said 500")
        return i

    async def slow_probe() -> None:
        await asyncio.sleep(0.05)  # longer than the target: the hub's loop is busy

    results = await paced_map(delete, range(6), limit=8, probe=slow_probe, target=0.02)
    assert most == 1
    assert [r if not isinstance(r, Exception) else str(r) for r in results] == [
        0, 1, 2, "hub said 500", 4, 5,
    ]  # fmt: skip
