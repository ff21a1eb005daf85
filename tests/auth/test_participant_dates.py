"""What participants are told about their dates, as tables (pure), the page cache the hub's
template_vars read, the dates file in a home, and an auth refresh's reason in-process."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets import TraitError
from traitlets.config import Config

from hubtypes.access.dates import (
    DATES_FILE,
    Dates,
    Phase,
    account_dates,
    credential_dates,
    dates_markdown,
    minutes_left,
    notice,
    phase,
    refusal,
    sentence,
)
from hubtypes.access.ended import KnownWorkshop, ended_message, ended_workshop_of
from hubtypes.access.expiry import account_status
from hubtypes.auth.page_dates import WorkshopDates
from hubtypes.records import AccountView, NewCredential, WorkshopView
from hubtypes.spawner.notice import resolution_dates, write_notice
from hubtypes.storage.hub_types import DEFAULT_POLICIES, HubType, Resolution

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
D = timedelta(days=1)
WS = WorkshopView("py", "Python", T0, T0 + 2 * D, T0 + 9 * D)
W15 = timedelta(minutes=15)


def participant(**kw) -> AccountView:
    return AccountView(username="py-001", role="participant", workshop=WS, **kw)


@pytest.mark.parametrize(
    ("account", "ends", "deleted"),
    [
        (participant(), T0 + 2 * D, T0 + 9 * D),
        (participant(expires_at=T0 + D), T0 + D, T0 + 9 * D),  # their own, earlier lock
        # staff: only their own end; a workshop's purge never deletes them
        (AccountView("teach", "instructor", WS), None, None),
        (AccountView("teach", "instructor", WS, expires_at=T0 + 3 * D), T0 + 3 * D, None),
        (AccountView("boss", "admin", None), None, None),
    ],
)
def test_whose_dates(account, ends, deleted):
    dates = account_dates(account)
    assert (dates.ends, dates.deleted_after) == (ends, deleted)
    assert credential_dates(account.role, account.expires_at, account.workshop) == (ends, deleted)


@pytest.mark.parametrize(
    ("now", "expected", "left"),
    [
        (T0 - timedelta(hours=1), Phase.upcoming, 49 * 60),
        (T0, Phase.active, 2 * 24 * 60),
        (T0 + 2 * D - W15 - timedelta(seconds=1), Phase.active, 16),
        (T0 + 2 * D - W15, Phase.ending, 15),
        (T0 + 2 * D - timedelta(seconds=1), Phase.ending, 1),  # rounded up, never "0 minutes"
        (T0 + 2 * D, Phase.ended, None),
        (T0 + 9 * D, Phase.deleted, None),
    ],
)
def test_phases(now, expected, left):
    dates = account_dates(participant())
    assert phase(dates, now, W15) is expected
    if expected is not Phase.upcoming:
        assert minutes_left(dates, now) == left
    # a warning window of 0 never warns
    assert phase(dates, now, timedelta(0)) is not Phase.ending


def test_the_sentence_and_the_notice():
    dates = account_dates(participant())
    assert sentence(dates, T0) == (
        "Your access ends 2026-12-03 09:00 UTC · your files are deleted after 2026-12-10 09:00 UTC."
    )
    assert sentence(dates, T0 + 3 * D).startswith("Your access ended 2026-12-03 09:00 UTC ·")
    assert sentence(Dates(deleted_after=T0), T0 - D) == (
        "Your files are deleted after 2026-12-01 09:00 UTC."
    )
    assert sentence(Dates(), T0) == ""
    shown = notice(dates, T0 + 2 * D - timedelta(minutes=12), W15)
    assert shown is not None
    assert shown["phase"] == "ending" and shown["minutes_left"] == 12
    assert shown["warning"].startswith("Your workshop access ends in 12 minutes")
    # whole seconds with the offset: what <time datetime> and every browser's Date take
    assert shown["ends"] == "2026-12-03T09:00:00+00:00"
    assert shown["ends_text"] == "2026-12-03 09:00 UTC" and not shown["ended"]
    assert notice(Dates(), T0, W15) is None
    assert notice(dates, T0 + 9 * D, W15)["deleted"] is True


@pytest.mark.parametrize(
    ("now", "account", "says"),
    [
        (T0 - D, participant(), "This workshop opens on 2026-12-01 09:00 UTC. Your access ends "
         "2026-12-03 09:00 UTC · your files are deleted after 2026-12-10 09:00 UTC."),
        (T0 + 3 * D, participant(), "Access ended on 2026-12-03 09:00 UTC; contact your "
         "instructor. Your files are deleted after 2026-12-10 09:00 UTC."),
        (T0, participant(disabled=True), "This account has been disabled; contact your "
         "instructor. Your files are deleted after 2026-12-10 09:00 UTC."),
        (T0 + 9 * D, participant(), "This workshop account has expired and is being removed "
         "(since 2026-12-10 09:00 UTC)."),
    ],
)  # fmt: skip
def test_refusals_carry_the_dates(now, account, says):
    assert refusal(account_status(account, now), account_dates(account), now) == says


def test_the_dates_file_says_how_to_keep_the_work():
    text = dates_markdown(account_dates(participant()), T0)
    assert "**Your access ends:** 2026-12-03 09:00 UTC" in text
    assert "**Your files are deleted after:** 2026-12-10 09:00 UTC" in text
    # the labels jupyter-archive's context menu shows
    assert "Download as an Archive" in text and "Download Current Folder as an Archive" in text


def test_the_credential_row_has_both_dates():
    ends, deleted = credential_dates("participant", None, WS)
    row = NewCredential("py-001", "code", "participant", "py", None, ends, deleted).as_dict()
    assert row["access_ends"] == (T0 + 2 * D).isoformat()
    assert row["files_deleted_after"] == (T0 + 9 * D).isoformat()
    staff = NewCredential("teach", "code", "instructor", "py", None).as_dict()
    assert staff["access_ends"] is None and staff["files_deleted_after"] is None


# --- after a reset ----------------------------------------------------------------------

WORKSHOPS = [
    KnownWorkshop("old", "Old one", purged=True),
    KnownWorkshop("old-b", "", purged=False),  # live, and its slug starts with "old-"
    KnownWorkshop("py", "Python", purged=False),
    KnownWorkshop("py-2024", "", purged=True),
]


@pytest.mark.parametrize(
    ("name", "ended"),
    [
        ("old-001", "old"),
        ("old-999", "old"),  # never existed: the same answer, nothing revealed
        ("old-b-001", None),  # the live workshop's (longest matching slug)
        ("oldie", None),
        ("py-001", None),
        ("py-2024-007", "py-2024"),  # the purged workshop's, though "py" is live
        ("nobody", None),
    ],
)
def test_which_names_hear_the_workshop_ended(name, ended):
    found = ended_workshop_of(name, WORKSHOPS)
    assert (found.slug if found else None) == ended


def test_the_ended_message_names_the_workshop_only():
    message = ended_message(WORKSHOPS[0])
    assert message.startswith('The workshop "Old one" has ended')
    assert "old-001" not in message and "check the username and access code" in message


# --- the page cache behind template_vars -------------------------------------------------


async def test_page_cache_is_filled_by_reads_and_reads_a_miss_in_a_thread():
    reads: list[str] = []
    go = threading.Event()

    def read(name: str):
        reads.append(name)
        go.wait(10)  # held until the test lets it finish
        return participant() if name == "py-001" else None

    dates = WorkshopDates(read=read, dates_of=account_dates, clock=lambda: T0)
    user = SimpleNamespace(name="py-001", kind="user")
    # a miss shows nothing and is read once, in a worker thread
    assert dates.page_dates(user) is None
    assert dates.page_dates(user) is None  # still reading: not read twice
    go.set()
    for _ in range(200):
        if dates.cached("py-001") is not None:
            break
        await asyncio.sleep(0.01)
    assert reads == ["py-001"]
    shown = dates.page_dates(user)
    assert shown is not None and shown["phase"] == "active"
    # what the authenticator read itself replaces it (no further read)
    dates.remember("py-001", participant(disabled=True))
    assert dates.page_dates(user)["ends"] == "2026-12-03T09:00:00+00:00"
    dates.forget("py-001")
    assert dates.page_dates(None) is None
    assert dates.page_dates(SimpleNamespace(name="svc", kind="service")) is None
    # an operator's own hubtypes_dates wins
    template_vars: dict = {"hubtypes_dates": "mine"}
    dates.install(template_vars)
    assert template_vars == {"hubtypes_dates": "mine"}
    dates.install(empty := {})
    assert empty["hubtypes_dates"] == dates.page_dates


async def test_an_old_entry_is_shown_once_more_while_it_is_read_again():
    reads: list[str] = []
    dates = WorkshopDates(read=lambda n: reads.append(n) or participant(), dates_of=account_dates,
                          clock=lambda: T0, max_age=0.0)  # fmt: skip
    dates.remember("py-001", participant())
    assert dates.cached("py-001") is not None  # shown, and re-read behind it
    for _ in range(200):
        if reads:
            break
        await asyncio.sleep(0.01)
    assert reads == ["py-001"]


def test_the_warning_is_configurable_and_checked():
    config = Config()
    config.WorkshopDates.lock_warning_minutes = 30
    dates = WorkshopDates(config=config, read=lambda n: None, dates_of=account_dates,
                          clock=lambda: T0 + 2 * D - timedelta(minutes=25))  # fmt: skip
    dates.remember("py-001", participant())
    assert dates.page_dates(SimpleNamespace(name="py-001"))["phase"] == "ending"
    with pytest.raises(TraitError, match="lock_warning_minutes"):
        WorkshopDates(read=lambda n: None, dates_of=account_dates, lock_warning_minutes=-1)


# --- the dates file ---------------------------------------------------------------------


def resolution(role: str = "participant", hub_type: HubType = HubType.workshop) -> Resolution:
    return Resolution("py-001", "py-001", DEFAULT_POLICIES[hub_type], role, WS, "py",
                      locks_at=T0 + D)  # fmt: skip


def test_whose_home_gets_the_file():
    dates = resolution_dates(resolution())
    assert dates is not None and (dates.ends, dates.deleted_after) == (T0 + D, T0 + 9 * D)
    assert resolution_dates(resolution(hub_type=HubType.community)) is None
    staff = resolution_dates(resolution(role="instructor"))
    assert staff is not None and staff.deleted_after is None


def test_the_file_replaces_links_and_never_writes_through_them(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    (home / DATES_FILE).symlink_to(outside)
    write_notice(str(home), "dates v1")
    assert outside.read_text() == "keep"
    assert not (home / DATES_FILE).is_symlink() and (home / DATES_FILE).read_text() == "dates v1"
    os.unlink(home / DATES_FILE)
    os.link(outside, home / DATES_FILE)  # a hard link: renamed over, the target untouched
    write_notice(str(home), "dates v2")
    assert outside.read_text() == "keep" and (home / DATES_FILE).read_text() == "dates v2"
    assert sorted(p.name for p in home.iterdir()) == [DATES_FILE]  # no temporary left
    # a home that is itself a link is refused
    link = tmp_path / "link"
    link.symlink_to(home)
    with pytest.raises(OSError):
        write_notice(str(link), "x")


# --- an auth refresh says why a session ended ----------------------------------------------


@pytest.fixture
def auth(db_url):
    from hubtypes.auth.workshop import WorkshopAuthenticator
    from hubtypes.db.database import Database
    from hubtypes.db.models import Role
    from hubtypes.db.queries.accounts import create_accounts
    from hubtypes.db.queries.resets import DONE, finish_reset, start_reset
    from hubtypes.db.queries.workshops import create_workshop
    from hubtypes.inputs import WorkshopInput

    db = Database(db_url)
    with db.session() as s:
        for slug in ("py", "old"):
            data = WorkshopInput(slug, slug.upper(), T0, T0 + 2 * D, T0 + 9 * D)
            create_workshop(s, data, created_by="t", now=T0 - D)
        create_accounts(s, usernames=["py-001"], workshop="py", role=Role.participant,
                        expires_at=None, created_by="t", now=T0 - D)  # fmt: skip
        reset_id = start_reset(s, "old", {}, actor="t", now=T0)
        s.flush()
        finish_reset(s, reset_id, state=DONE, now=T0, progress={})
    config = Config()
    config.HubTypesDatabase.url = db_url
    now = {"t": T0 + D}
    yield WorkshopAuthenticator(config=config, clock=lambda: now["t"]), now
    db.dispose()


async def test_refresh_says_why_the_session_ended(auth):
    from hubtypes.auth.participant import session_check

    authenticator, now = auth

    def check(name: str):
        valid_why = session_check(authenticator.database, name, now["t"], True)[1:]
        return valid_why

    user = SimpleNamespace(name="py-001")
    assert await authenticator.refresh_user(user) is True
    assert authenticator.dates.page_dates(user)["phase"] == "active"  # the refresh's read
    now["t"] = T0 + 3 * D
    valid, why = check("py-001")
    assert valid is False and why == {
        "title": "PY",
        "ends": (T0 + 2 * D).isoformat(),
        "deleted_after": (T0 + 9 * D).isoformat(),
    }
    # a hub user whose account a reset removed, named like the purged workshop's
    assert check("old-003") == (False, {"ended_workshop": "OLD"})
    assert check("someone") == (False, None)
    # reopened as a new run: its names are a live workshop's again
    from hubtypes.db.database import Database
    from hubtypes.db.queries.workshops import reopen_workshop
    from hubtypes.inputs import WorkshopInput

    db = Database(authenticator.database.url)
    with db.session() as s:
        data = WorkshopInput("old", "OLD", T0 + 10 * D, T0 + 12 * D, T0 + 19 * D)
        reopen_workshop(s, data, actor="t", now=T0 + 3 * D)
    db.dispose()
    assert check("old-003") == (False, None)
    assert session_check(authenticator.database, "someone", now["t"], False)[1] is True
    assert await authenticator.refresh_user(user) is False
    assert authenticator.dates.page_dates(user)["phase"] == "ended"


def test_oauth_guests_see_their_dates_community_members_keep_theirs():
    from hubtypes.access.grants import GrantView, Standing
    from hubtypes.auth.access_mixin import _guest_dates

    guest = GrantView("alice", WS, expires_at=T0 + D, standing=Standing.guest)
    dates = _guest_dates(guest)
    assert dates is not None and (dates.ends, dates.deleted_after) == (T0 + D, T0 + 9 * D)
    member = GrantView("carol", WS, standing=Standing.community)
    assert _guest_dates(member) is None  # their access does not end with the workshop
    assert _guest_dates(None) is None
