"""A real hub with WorkshopAuthenticator, accounts with known codes, and clients that
connect from chosen loopback addresses (all of 127.0.0.0/8 is this machine's, so the
proxy sees a different, real client address for each)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import requests
from realhub import RealHub
from requests.adapters import HTTPAdapter

from hubtypes.clock import utcnow
from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import create_accounts
from hubtypes.db.queries.workshops import create_workshop
from hubtypes.inputs import WorkshopInput

CONFIG = """
c.JupyterHub.authenticator_class = "workshop"
c.HubTypesDatabase.url = {db_url!r}
c.JupyterHub.default_url = "/hub/home"
c.WorkshopAuthenticator.user_failure_limit = {pair}
c.WorkshopAuthenticator.name_failure_limit = {name}
c.WorkshopAuthenticator.address_failure_limit = {address}
"""


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address: str = "127.0.0.1") -> requests.Session:
    """A browser-like session whose connections come from ``address``."""
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def add_accounts(db_url: str, names: list[str]) -> dict[str, str]:
    """Workshop 'py' (open now, for two days) with participants ``names``; their codes."""
    now = utcnow()
    db = Database(db_url)
    try:
        with db.session() as s:
            data = WorkshopInput("py", "Python", now, now + timedelta(days=2), now + timedelta(9))
            create_workshop(s, data, created_by="test", now=now)
            creds = create_accounts(s, usernames=names, workshop="py", role=Role.participant,
                                    expires_at=None, created_by="test", now=now)  # fmt: skip
    finally:
        db.dispose()
    return {c.username: c.code for c in creds}


def start(factory: Any, db_url: str, *, pair: int = 5, name: int = 20, address: int = 50):
    return factory(CONFIG.format(db_url=db_url, pair=pair, name=name, address=address))


def attempt(hub: RealHub, username: str, code: str, *, source: str = "127.0.0.1",
            headers: dict[str, str] | None = None) -> requests.Response:  # fmt: skip
    """One login through the proxy from ``source``, with extra headers on both requests."""
    with client(source) as s:
        s.headers.update(headers or {})
        page = s.get(hub.url + "hub/login", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert xsrf, page.text[:2000]
        form = {"username": username, "password": code, "_xsrf": xsrf.group(1)}
        return s.post(hub.url + "hub/login", data=form, allow_redirects=False, timeout=60)


def succeeded(r: requests.Response) -> bool:
    return r.status_code == 302 and "/hub/login" not in r.headers.get("Location", "")


def counter(db_url: str, key: str) -> int:
    db = Database(db_url)
    try:
        with db.connection() as conn:
            found = logins.throttle_counter(conn, key)
    finally:
        db.dispose()
    return found.failures if found else 0
