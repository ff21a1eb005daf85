"""Account states as a table: role x time x own expiry x disabled."""

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.access.expiry import AccountState, account_status, lock_time
from hubtypes.records import AccountView, WorkshopView

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
WS = WorkshopView(
    slug="py",
    title="Python",
    starts_at=T0,
    ends_at=T0 + timedelta(days=2),
    delete_after=T0 + timedelta(days=9),
)
H = timedelta(hours=1)
D = timedelta(days=1)


def view(role="participant", expires=None, disabled=False, workshop=WS):
    return AccountView("u", role, workshop, expires_at=expires, disabled=disabled)


NY, ACT, LCK, PUR = (
    AccountState.not_yet_open,
    AccountState.active,
    AccountState.locked,
    AccountState.purge_due,
)


@pytest.mark.parametrize(
    "role, expires, disabled, at, state, words",
    [
        ("participant", None, False, T0 - H, NY, "opens on 2026-12-01 09:00 UTC"),
        ("participant", None, False, T0, ACT, ""),
        ("participant", None, False, T0 + 2 * D - H, ACT, ""),
        ("participant", None, False, T0 + 2 * D, LCK, "ended on 2026-12-03 09:00 UTC"),
        ("participant", None, False, T0 + 9 * D - H, LCK, "contact your instructor"),
        ("participant", None, False, T0 + 9 * D, PUR, "being removed"),
        # own expiry shortens ...
        ("participant", T0 + H, False, T0 + 2 * H, LCK, "ended on 2026-12-01 10:00 UTC"),
        # ... or extends the workshop's end, but never past the purge
        ("participant", T0 + 4 * D, False, T0 + 3 * D, ACT, ""),
        ("participant", T0 + 4 * D, False, T0 + 4 * D, LCK, "ended on"),
        ("participant", T0 + 4 * D, False, T0 + 10 * D, PUR, "being removed"),
        ("participant", None, True, T0 + H, LCK, "disabled"),
        ("participant", None, True, T0 - H, LCK, "disabled"),
        # staff: before and after the workshop, never purged with it
        ("instructor", None, False, T0 - D, ACT, ""),
        ("instructor", None, False, T0 + 30 * D, ACT, ""),
        ("instructor", T0 + D, False, T0 + 2 * D, LCK, "ended on"),
        ("instructor", None, True, T0, LCK, "disabled"),
        ("admin", None, False, T0 + 99 * D, ACT, ""),
    ],
)
def test_account_status(role, expires, disabled, at, state, words):
    status = account_status(view(role, expires, disabled), at)
    assert status.state is state
    assert words in status.message
    assert status.can_log_in == (state is ACT)
    if state is ACT:
        assert status.message == ""


def test_admin_without_workshop():
    admin = view("admin", workshop=None)
    assert account_status(admin, T0).can_log_in
    assert lock_time(admin) is None
    assert account_status(view("admin", T0, workshop=None), T0).state is LCK


def test_naive_now_is_utc():
    assert account_status(view(), (T0 + H).replace(tzinfo=None)).state is ACT


def test_other_timezones_compare_correctly():
    plus_two = timezone(timedelta(hours=2))
    # 10:59 at +02:00 is 08:59 UTC: one minute before opening
    assert account_status(view(), datetime(2026, 12, 1, 10, 59, tzinfo=plus_two)).state is NY
