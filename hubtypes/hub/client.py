"""One small async client of JupyterHub's REST API, shared by the services and the CLI.

- pagination with ``Accept: application/jupyterhub-pagination+json``;
- bounded concurrency (:meth:`HubAPI.map`);
- 429 and 503 answers are retried after their ``Retry-After`` (bounded);
- tokens are sent in the ``Authorization`` header and never logged.

It uses tornado's HTTP client (a JupyterHub dependency), so it adds no package.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

PAGINATION = "application/jupyterhub-pagination+json"
T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("hubtypes.hub.client")


class HubAPIError(RuntimeError):
    """The hub answered with an error status (after any retries)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _retry_after(headers: dict[str, str], default: float) -> float:
    try:
        return max(0.0, min(float(headers.get("Retry-After", default)), 60.0))
    except ValueError:
        return default


def quote_name(name: str) -> str:
    """A path component (user, group or server name) quoted for the URL."""
    return quote(name, safe="")


class HubAPI:
    """Client of ``{api_url}`` (e.g. ``http://127.0.0.1:8081/hub/api``) with one token."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        concurrency: int = 10,
        max_retries: int = 8,
        timeout: float = 60.0,
        max_clients: int | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.concurrency = max(1, concurrency)
        self.max_retries = max_retries
        self.timeout = timeout
        self.retries = 0  # how often the hub asked us to wait (429/503), for metrics
        # requests beyond max_clients wait in tornado's queue, and that wait counts
        # against the timeout: size it for the largest map() a caller makes
        clients = max(10, max_clients or concurrency * 2)
        self._client = AsyncHTTPClient(force_instance=True, max_clients=clients)

    def close(self) -> None:
        self._client.close()

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        ok: Iterable[int] = (),
    ) -> Response:
        """One request; retries 429/503 with Retry-After; raises HubAPIError for other errors.

        Statuses in ``ok`` (e.g. 404 for "already gone") are returned, not raised.
        """
        url = self.api_url + path
        if params:
            url += "?" + urlencode(params)
        all_headers = {"Authorization": f"token {token or self._token}"}
        all_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body)
            all_headers["Content-Type"] = "application/json"
        allowed = set(ok)
        for attempt in range(self.max_retries + 1):
            request = HTTPRequest(
                url,
                method=method,
                headers=all_headers,
                body=data,
                request_timeout=self.timeout,
                allow_nonstandard_methods=True,
            )
            try:
                resp = await self._client.fetch(request, raise_error=False)
            except HTTPClientError as e:  # pragma: no cover - raise_error=False
                raise HubAPIError(method, path, e.code, str(e)) from None
            except OSError as e:
                # tornado raises refused connections and DNS failures as OSError even
                # with raise_error=False: the same "connection trouble" as a 599
                if attempt < 2:
                    self.retries += 1
                    await asyncio.sleep(1.0)
                    continue
                raise HubAPIError(method, path, 599, f"cannot connect: {e}") from None
            headers_out = {k: v for k, v in resp.headers.get_all()}
            if resp.code in (429, 503) and attempt < self.max_retries:
                self.retries += 1
                wait = _retry_after(headers_out, default=min(0.5 * 2**attempt, 10.0))
                log.info(f"hub answered {resp.code} to {method} {path}; retrying in {wait:.1f}s")
                await asyncio.sleep(wait)
                continue
            if resp.code == 599 and attempt < 2:  # connection trouble: try again, briefly
                self.retries += 1
                await asyncio.sleep(1.0)
                continue
            if resp.code == 599:
                raise HubAPIError(method, path, 599, str(resp.error))
            if resp.code >= 400 and resp.code not in allowed:
                raise HubAPIError(method, path, resp.code, _message(resp.body))
            return Response(resp.code, headers_out, resp.body or b"")
        raise AssertionError("unreachable")  # pragma: no cover

    async def get(self, path: str, **kw: Any) -> Any:
        return (await self.request("GET", path, **kw)).json()

    async def paginate(
        self, path: str, params: dict[str, Any] | None = None, *, limit: int = 200
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paginated list endpoint (users, groups, tokens...)."""
        offset = 0
        while True:
            page_params = {**(params or {}), "offset": offset, "limit": limit}
            data = await self.get(path, params=page_params, headers={"Accept": PAGINATION})
            if isinstance(data, list):  # an endpoint that does not paginate
                for item in data:
                    yield item
                return
            items = data.get("items", [])
            for item in items:
                yield item
            nxt = (data.get("_pagination") or {}).get("next")
            if not nxt or not items:
                return
            offset = int(nxt.get("offset", offset + len(items)))

    async def map(
        self, fn: Callable[[T], Awaitable[R]], items: Iterable[T], *, limit: int | None = None
    ) -> list[R | BaseException]:
        """``fn`` over ``items`` with at most ``limit`` at once; exceptions are returned."""
        semaphore = asyncio.Semaphore(limit or self.concurrency)

        async def one(item: T) -> R:
            async with semaphore:
                return await fn(item)

        return list(await asyncio.gather(*(one(i) for i in items), return_exceptions=True))

    # --- the calls hubtypes makes ------------------------------------------------

    async def whoami(self, token: str) -> dict[str, Any] | None:
        """The model of the user (or service) owning ``token``, None if it is not valid."""
        resp = await self.request("GET", "/user", token=token, ok=(401, 403))
        return resp.json() if resp.status == 200 else None

    async def users(self, **params: Any) -> list[dict[str, Any]]:
        return [u async for u in self.paginate("/users", params)]

    async def user(self, name: str) -> dict[str, Any] | None:
        resp = await self.request("GET", f"/users/{quote_name(name)}", ok=(404,))
        return resp.json() if resp.status == 200 else None

    async def users_named(
        self, names: Iterable[str], *, one_by_one: int = 5
    ) -> dict[str, dict[str, Any]]:
        """The models of those of ``names`` the hub has: a few asked one by one, more by
        one listing.

        The hub's ``GET /users`` has no filter by a list of names (5.5.1 and 6.1.1:
        ``state``, ``name_filter``, a case-insensitive substring, and pages of at most
        ``api_page_max_limit``, 200 by default; jupyterhub/apihandlers/users.py). So a
        longer list is one listing filtered by the names' common prefix (a superset),
        read page by page, instead of one request per name.
        """
        wanted = sorted(set(names))
        if not wanted:
            return {}
        if len(wanted) <= one_by_one:
            found = await self.map(self.user, wanted)
            models: dict[str, dict[str, Any]] = {}
            for name, result in zip(wanted, found, strict=True):
                if isinstance(result, BaseException):
                    raise result
                if result is not None:
                    models[name] = result
            return models
        return {
            u["name"]: u
            async for u in self.users_with_prefix(os.path.commonprefix(wanted))
            if u["name"] in set(wanted)
        }

    def users_with_prefix(self, prefix: str) -> AsyncIterator[dict[str, Any]]:
        """Every hub user whose name contains ``prefix`` (all users for ``""``), paged."""
        return self.paginate("/users", {"name_filter": prefix} if prefix else {})

    async def group(self, name: str) -> dict[str, Any] | None:
        resp = await self.request("GET", f"/groups/{quote_name(name)}", ok=(404,))
        return resp.json() if resp.status == 200 else None

    async def ensure_group(self, name: str) -> dict[str, Any]:
        """The group, created empty if it does not exist."""
        existing = await self.group(name)
        if existing is not None:
            return existing
        resp = await self.request("POST", f"/groups/{quote_name(name)}", {}, ok=(409,))
        return resp.json() if resp.status == 201 else (await self.group(name)) or {}

    async def set_group_properties(self, name: str, properties: dict[str, Any]) -> None:
        await self.request("PUT", f"/groups/{quote_name(name)}/properties", properties)

    async def stop_server(self, user: str, server: str = "") -> int:
        """Ask the hub to stop one server; 202 means stopping, 204 stopped, 400/404 gone."""
        path = f"/users/{quote_name(user)}/server" + (f"s/{quote_name(server)}" if server else "")
        return (await self.request("DELETE", path, ok=(400, 404))).status

    async def delete_user(self, name: str) -> bool:
        """Delete a hub user (the hub removes its account and storage); False if absent."""
        resp = await self.request("DELETE", f"/users/{quote_name(name)}", ok=(404,))
        return resp.status != 404

    async def tokens(self, user: str) -> list[dict[str, Any]]:
        resp = await self.request("GET", f"/users/{quote_name(user)}/tokens", ok=(404,))
        if resp.status == 404:
            return []
        data = resp.json()
        return list(data.get("api_tokens", []) if isinstance(data, dict) else data)

    async def delete_token(self, user: str, token_id: str) -> None:
        await self.request(
            "DELETE", f"/users/{quote_name(user)}/tokens/{quote_name(token_id)}", ok=(404,)
        )


def _message(body: bytes | None) -> str:
    try:
        data = json.loads(body or b"")
        return str(data.get("message", data))
    except (ValueError, AttributeError):
        return (body or b"")[:200].decode(errors="replace")
