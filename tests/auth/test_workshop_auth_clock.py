"""WorkshopAuthenticator in-process with an injected clock: the same account walks through
not-yet-open, active, locked and purge-due without waiting for real time to pass."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from tornado import web
from traitlets.config import Config

from hubtypes.auth.workshop import WorkshopAuthenticator
from hubtypes.db.database import Database
from hubtypes.db.models import Role
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import account_view, create_accounts
from hubtypes.db.queries.workshops import create_workshop
from hubtypes.inputs import WorkshopInput

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
D = timedelta(days=1)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup(db_url):
    db = Database(db_url)
    with db.session() as s:
        data = WorkshopInput("py", "Python", T0, T0 + 2 * D, T0 + 9 * D)
        create_workshop(s, data, created_by="t", now=T0 - D)
        [cred] = create_accounts(s, usernames=["ann"], workshop="py",
                                       role=Role.participant, expires_at=None, created_by="t",
                                       now=T0 - D)  # fmt: skip
    config = Config()
    config.HubTypesDatabase.url = db_url
    clock = FakeClock(T0 - timedelta(hours=1))
    auth = WorkshopAuthenticator(config=config, clock=clock)
    yield auth, clock, cred.code, db
    db.dispose()


async def login(auth, username, code):
    return await auth.authenticate(None, {"username": username, "password": code})


async def refused(auth, username, code) -> tuple[int, str]:
    with pytest.raises(web.HTTPError) as e:
        await login(auth, username, code)
    return e.value.status_code, e.value.log_message


async def test_walk_through_time(setup):
    auth, clock, code, _ = setup
    user = SimpleNamespace(name="ann")
    assert await refused(auth, "ann", code) == (
        403,
        "This workshop opens on 2026-12-01 09:00 UTC. Your access ends 2026-12-03 09:00 UTC"
        " · your files are deleted after 2026-12-10 09:00 UTC.",
    )
    assert await auth.refresh_user(user) is False

    clock.now = T0 + timedelta(hours=1)
    model = await login(auth, "ann", code)
    # groups None: the hub leaves a participant's groups alone (the service fills them)
    assert model == {"name": "ann", "admin": False, "groups": None}
    assert await auth.refresh_user(user) is True

    clock.now = T0 + 2 * D
    status, message = await refused(auth, "ann", code)
    assert status == 403 and message.startswith("Access ended on 2026-12-03 09:00 UTC")
    assert await auth.refresh_user(user) is False

    clock.now = T0 + 9 * D
    assert "being removed" in (await refused(auth, "ann", code))[1]


async def test_unknown_users_and_empty_codes(setup):
    auth, clock, code, _ = setup
    clock.now = T0 + timedelta(hours=1)
    assert await refused(auth, "nobody", code) == (403, "Invalid username or access code.")
    assert await refused(auth, "ann", "") == (403, "Invalid username or access code.")
    assert await auth.refresh_user(SimpleNamespace(name="nobody")) is False
    auth.reject_unknown_users = False
    assert await auth.refresh_user(SimpleNamespace(name="nobody")) is True


async def test_throttle_window_passes_and_stale_counters_are_pruned(setup):
    auth, clock, code, db = setup
    clock.now = T0 + timedelta(hours=1)
    for _ in range(5):
        await refused(auth, "ann", "wrong")
    status, message = await refused(auth, "ann", code)
    assert status == 429 and message == "Too many attempts; try again in 5 minutes."
    clock.now += timedelta(minutes=4, seconds=30)
    assert (await refused(auth, "ann", code))[1] == "Too many attempts; try again in 30 seconds."
    clock.now += timedelta(seconds=30)
    assert (await login(auth, "ann", code))["name"] == "ann"
    with db.connection() as conn:
        assert logins.throttle_counter(conn, "user:ann") is None
    # a failure much later prunes counters whose window is long over
    await refused(auth, "nobody", "x")
    clock.now += timedelta(hours=1)
    await refused(auth, "ann", "x")
    with db.connection() as conn:
        assert logins.throttle_counter(conn, "user:nobody") is None
        assert logins.throttle_counter(conn, "user:ann").failures == 1


async def test_delete_user_removes_the_account(setup):
    auth, clock, code, db = setup
    await auth.delete_user(SimpleNamespace(name="ann"))
    with db.session() as s:
        assert account_view(s, "ann") is None
