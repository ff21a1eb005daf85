"""Stopping servers and finding users through hubtypes/hub/ (``servers.stop_servers_and_wait``,
``servers.stop_many_and_wait``, ``HubAPI.users_named``), against a small fake of the hub's
REST API served by tornado on loopback in this test.

A real hub is covered elsewhere: the workshop service's reset tests
(tests/services/workshop/, real JupyterHub and single-user servers) and the culler's hub
tests stop real servers through these same functions. A fake is used here because what
these tests check is what a real hub cannot be made to do on cue: a stop it loses and
never carries out (as across a hub restart), a server that never stops (the timeout),
pages of a few users, and a count of exactly which requests were made (one listing a poll
instead of one ``GET /users/{name}`` per user).
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler

from hubtypes.hub.client import HubAPI
from hubtypes.hub.servers import stop_many_and_wait, stop_servers_and_wait

PAGE_MAX = 5  # the hub's api_page_max_limit, small so that listings take several pages


@dataclass
class FakeHub:
    """Users and their servers; a stop takes ``polls_to_stop`` reads of the user to finish."""

    users: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    polls_to_stop: int = 2
    lose_first_stop: bool = False  # the hub forgets the first stop it is asked for
    never_stops: bool = False
    requests: list[str] = field(default_factory=list)
    _countdown: dict[tuple[str, str], int] = field(default_factory=dict)
    _lost: bool = False

    def add(self, name: str, *servers: str) -> None:
        self.users[name] = {s: {"name": s, "ready": True, "pending": None} for s in servers}

    def tick(self) -> None:
        """Time passes: stopping servers get closer to stopped."""
        for (name, server), left in list(self._countdown.items()):
            if left <= 1 and not self.never_stops:
                del self._countdown[(name, server)]
                self.users[name].pop(server, None)
            else:
                self._countdown[(name, server)] = left - 1

    def model(self, name: str) -> dict[str, Any]:
        return {"name": name, "kind": "user", "servers": dict(self.users[name])}

    def stop(self, name: str, server: str) -> int:
        servers = self.users.get(name)
        if servers is None:
            return 404
        if server not in servers:
            return 400
        if self.lose_first_stop and not self._lost:
            self._lost = True
            return 202  # said yes, did nothing: still ready, not pending
        servers[server] = {**servers[server], "ready": False, "pending": "stop"}
        self._countdown.setdefault((name, server), self.polls_to_stop)
        return 202


class Handler(RequestHandler):
    @property
    def hub(self) -> FakeHub:
        return self.settings["hub"]

    def prepare(self) -> None:
        if self.request.headers.get("Authorization") != "token secret":
            raise HTTPError(403)
        self.hub.requests.append(f"{self.request.method} {self.request.uri}")


class UsersHandler(Handler):
    def get(self) -> None:
        self.hub.tick()
        state = self.get_argument("state", "")
        needle = self.get_argument("name_filter", "").lower()
        offset = int(self.get_argument("offset", "0"))
        limit = min(int(self.get_argument("limit", str(PAGE_MAX))), PAGE_MAX)
        names = [n for n in sorted(self.hub.users) if needle in n.lower()]
        if state == "active":
            names = [n for n in names if self.hub.users[n]]
        page = [self.hub.model(n) for n in names[offset : offset + limit]]
        more = offset + limit < len(names)
        nxt = {"offset": offset + limit, "limit": limit} if more else None
        self.finish(json.dumps({"items": page, "_pagination": {"next": nxt}}))


class UserHandler(Handler):
    def get(self, name: str) -> None:
        self.hub.tick()
        if name not in self.hub.users:
            raise HTTPError(404)
        self.finish(json.dumps(self.hub.model(name)))


class ServerHandler(Handler):
    def delete(self, name: str, server: str = "") -> None:
        status = self.hub.stop(name, server)
        if status >= 400:
            raise HTTPError(status)
        self.set_status(status)


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeHub, HubAPI]]:
    hub = FakeHub()
    app = Application(
        [
            (r"/hub/api/users", UsersHandler),
            (r"/hub/api/users/([^/]+)", UserHandler),
            (r"/hub/api/users/([^/]+)/server", ServerHandler),
            (r"/hub/api/users/([^/]+)/servers/([^/]*)", ServerHandler),
        ],
        hub=hub,
    )
    sockets = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    server = HTTPServer(app)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    api = HubAPI(f"http://127.0.0.1:{port}/hub/api", "secret")
    yield hub, api
    api.close()
    server.stop()
    await server.close_all_connections()


def count(hub: FakeHub, prefix: str) -> int:
    return sum(1 for r in hub.requests if r.startswith(prefix))


async def test_stop_servers_and_wait_until_the_hub_says_they_are_gone(fake):
    hub, api = fake
    hub.add("alice", "", "ws-py")
    await stop_servers_and_wait(api, "alice", ["", "ws-py"], timeout=10)
    assert hub.users["alice"] == {}
    assert count(hub, "DELETE /hub/api/users/alice/server") == 2  # asked once each
    assert count(hub, "GET /hub/api/users/alice") >= hub.polls_to_stop  # waited for it
    # someone the hub does not have: nothing to wait for
    await stop_servers_and_wait(api, "nobody", [], timeout=1)


async def test_a_stop_the_hub_lost_is_asked_again(fake):
    hub, api = fake
    hub.add("alice", "")
    hub.lose_first_stop = True
    await stop_servers_and_wait(api, "alice", [""], timeout=10)
    assert hub.users["alice"] == {}
    assert count(hub, "DELETE /hub/api/users/alice/server") == 2


async def test_a_server_that_never_stops_times_out_naming_the_user(fake):
    hub, api = fake
    hub.add("alice", "")
    hub.never_stops = True
    with pytest.raises(TimeoutError, match="alice's servers did not stop in 1s"):
        await stop_servers_and_wait(api, "alice", [""], timeout=1)
    # pending all along: asked once, never again (asking again is for lost stops only)
    assert count(hub, "DELETE ") == 1


async def test_stop_many_polls_one_listing_not_each_user(fake):
    hub, api = fake
    names = [f"py-{i:03d}" for i in range(12)]
    for name in names:
        hub.add(name, "")
    hub.add("py-0keep", "")  # matches the prefix, is not being stopped: left alone
    hub.lose_first_stop = True
    gone: list[str] = []

    async def on_stopped(name: str) -> None:
        gone.append(name)

    await stop_many_and_wait(
        api, {n: [""] for n in names}, timeout=20, limit=4, on_stopped=on_stopped
    )
    assert sorted(gone) == names and len(set(gone)) == len(gone)  # each once
    assert all(hub.users[n] == {} for n in names) and hub.users["py-0keep"]
    assert count(hub, "GET /hub/api/users/") == 0  # no per-user polls
    listings = [r for r in hub.requests if r.startswith("GET /hub/api/users?")]
    assert listings and all("state=active" in r and "name_filter=py-0" in r for r in listings)
    assert any("offset=5" in r for r in listings)  # read page by page
    # the lost stop was asked again; no user was asked more than that
    assert count(hub, "DELETE ") == len(names) + 1


async def test_stop_many_of_nobody_asks_nothing_and_a_stuck_one_times_out(fake):
    hub, api = fake
    await stop_many_and_wait(api, {}, timeout=1, limit=4)
    assert hub.requests == []
    hub.add("a-1", "")
    hub.add("a-2", "")
    hub.never_stops = True
    with pytest.raises(TimeoutError, match=r"servers of 2 users \(a-1, a-2…\) did not stop"):
        await stop_many_and_wait(api, {"a-1": [""], "a-2": [""]}, timeout=0.5, limit=4)


@pytest.mark.parametrize("how_many", [3, 12])
async def test_users_named_finds_those_the_hub_has(fake, how_many):
    hub, api = fake
    names = [f"ws-{i:03d}" for i in range(how_many)]
    for name in names[:-1]:  # the last one is not a hub user
        hub.add(name)
    hub.add("ws-0999")  # matches the prefix, was not asked for
    hub.add("other")
    models = await api.users_named([*names, names[0]])  # a name twice: asked once
    assert sorted(models) == names[:-1]
    assert all(models[n]["name"] == n for n in models)
    if how_many <= 5:  # a few: one request each
        assert count(hub, "GET /hub/api/users/") == how_many
        assert count(hub, "GET /hub/api/users?") == 0
    else:  # many: one listing by the common prefix, page by page
        assert count(hub, "GET /hub/api/users/") == 0
        listings = [r for r in hub.requests if r.startswith("GET /hub/api/users?")]
        assert len(listings) == 3 and all("name_filter=ws-0" in r for r in listings)
    assert await api.users_named([]) == {}
