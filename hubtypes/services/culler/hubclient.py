"""The culler's hub client: requests counted for the metrics, bounded in flight, stops apart."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from hubtypes.hub.client import HubAPI, HubAPIError, quote_name
from hubtypes.services.culler.metrics import CullerMetrics

# set while a stop request is in flight: it is bounded by the sweep's stop slots instead
_STOPPING: ContextVar[bool] = ContextVar("hubtypes_culler_stopping", default=False)


class CountingHubAPI(HubAPI):
    """The culler's hub client: counts requests and errors, bounds requests in flight.

    At most ``concurrency`` requests are in flight at once (jupyterhub-idle-culler's
    ``--concurrency`` means the same: its ``fetch`` holds a semaphore), *except* stop
    requests: the hub holds a ``DELETE .../server`` until the spawner has stopped, up to
    its ``slow_stop_timeout`` (10 s, ``jupyterhub/handlers/base.py``
    ``stop_single_user``), so a 2 s stop is a 2 s request that costs the hub nothing while
    it waits. Those are bounded by the sweep's ``stop_concurrency`` instead, so slow stops
    never starve the listing, the polls and the user deletions of their slots.
    """

    metrics: CullerMetrics | None = None
    requests = 0

    def __init__(
        self, api_url: str, token: str, *, concurrency: int = 10, stop_concurrency: int = 0,
        **kw: Any,
    ) -> None:  # fmt: skip
        kw.setdefault("max_clients", concurrency + stop_concurrency + 4)
        super().__init__(api_url, token, concurrency=concurrency, **kw)
        self._slots = asyncio.Semaphore(self.concurrency)

    async def request(self, method: str, path: str, *args: Any, **kw: Any) -> Any:
        self.requests += 1
        if self.metrics is not None:
            self.metrics.hub_requests.labels(method).inc()
        try:
            if _STOPPING.get():
                return await super().request(method, path, *args, **kw)
            async with self._slots:
                return await super().request(method, path, *args, **kw)
        except HubAPIError as e:
            if self.metrics is not None:
                self.metrics.hub_errors.labels(str(e.status)).inc()
            raise

    async def stop_server(self, user: str, server: str = "", *, remove: bool = False) -> int:
        """Stop (``remove``: and forget) one server; 202 stopping, 204 stopped, 400/404 gone.

        Not bounded by ``concurrency``: the caller holds one of the sweep's stop slots.
        """
        token = _STOPPING.set(True)
        try:
            if not remove:
                return await super().stop_server(user, server)
            path = f"/users/{quote_name(user)}/servers/{quote_name(server)}"
            return (await self.request("DELETE", path, {"remove": True}, ok=(400, 404))).status
        finally:
            _STOPPING.reset(token)
