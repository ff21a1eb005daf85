"""Where archive and delete work runs: its own bounded pool, never the default executor.

Logins and every other ``asyncio.to_thread`` call in the hub run in the event loop's
default executor. Archiving a home can take minutes, so if it ran there, a few deletes
of big (or hostile) homes would occupy every worker and logins would queue behind them
(issue 10 measured a 60 s login timeout). Here the work has a pool of its own, of a
few threads: more deletes wait for each other, never for, or in front of, a login.

Work on one key (one home) that is already under way is joined, not repeated: seven
concurrent deletes of one user archive their home once and share the outcome.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class StorageWork:
    """A bounded thread pool for storage work, with in-flight work joined by key."""

    def __init__(self, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("storage work needs at least one worker")
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hubtypes-storage")
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the pool; a call with the key of one under way joins it."""
        future = self._running.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._pool, fn, *args)
            self._running[key] = future
            future.add_done_callback(lambda _f: self._running.pop(key, None))
        # shield: one caller giving up (its request cancelled) does not stop the others'
        result: T = await asyncio.shield(future)
        return result

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_shared: StorageWork | None = None
_lock = threading.Lock()


def storage_work(workers: int = 2) -> StorageWork:
    """The process's pool (created by the first caller, with its ``workers``)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = StorageWork(workers)
        return _shared


__all__ = ["StorageWork", "storage_work"]
