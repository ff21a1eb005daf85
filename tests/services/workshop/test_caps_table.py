"""What an instructor may set on their workshop's dates, as a table (hubtypes.inputs)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.errors import Forbidden, InputError
from hubtypes.inputs import Caps, WorkshopInput, check_caps, check_instructor_role

NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
H, D = timedelta(hours=1), timedelta(days=1)
CAPS = Caps(max_length=14 * D, max_grace=30 * D, purge_notice=24 * H)
# a workshop that opened yesterday, locks in 2 days and is purged a week after that
BEFORE = WorkshopInput("py", "Py", NOW - D, NOW + 2 * D, NOW + 9 * D)


def dates(starts=None, ends=None, purge=None) -> WorkshopInput:
    return WorkshopInput(
        "py", "Py", starts or BEFORE.starts_at, ends or BEFORE.ends_at, purge or BEFORE.delete_after
    )


@pytest.mark.parametrize(
    "after, admin, caps, outcome",
    [
        (dates(), False, CAPS, False),  # nothing changes: fine
        # the finding: lock in 2 s, purge in 3 s
        (dates(ends=NOW + 2 * timedelta(seconds=1), purge=NOW + 3 * timedelta(seconds=1)),
         False, CAPS, ("delete-after", "no sooner than 24 hours")),
        (dates(purge=NOW + 23 * H), False, CAPS, ("delete-after", "purge_notice_hours")),
        (dates(purge=NOW + 25 * H, ends=NOW + 24 * H), False, CAPS, False),  # with notice
        # the other half: a purge date in 2099
        (dates(purge=datetime(2099, 1, 1, tzinfo=timezone.utc)), False, CAPS,
         ("delete-after", "max_grace_days")),
        (dates(ends=NOW + 20 * D, purge=NOW + 21 * D), False, CAPS, ("ends", "max_workshop_days")),
        (dates(ends=NOW + 12 * D, purge=NOW + 40 * D), False, CAPS, False),  # 13 d, 28 d grace
        # the window's length and grace within the caps, but set in 2099: the purge would
        # never come (the audit's finding); the purge may come at most 14 + 30 days from now
        (dates(starts=datetime(2098, 12, 20, tzinfo=timezone.utc),
               ends=datetime(2099, 1, 1, tzinfo=timezone.utc),
               purge=datetime(2099, 1, 20, tzinfo=timezone.utc)),
         False, CAPS, ("delete-after", "later than 2027-01-14 09:00 UTC")),
        (dates(starts=NOW + 30 * D, ends=NOW + 44 * D, purge=NOW + 44 * D), False, CAPS, False),
        (dates(starts=NOW + 30 * D, ends=NOW + 44 * D, purge=NOW + 44 * D + H), False, CAPS,
         ("delete-after", "max_workshop_days and max_grace_days")),
        (dates(starts=NOW + 40 * D, ends=NOW + 50 * D, purge=NOW + 60 * D), False, CAPS,
         ("delete-after", "move the dates nearer")),
        # ... which admins may, and so may instructors allowed past the caps or without them
        (dates(starts=NOW + 40 * D, ends=NOW + 50 * D, purge=NOW + 60 * D), True, CAPS, False),
        (dates(starts=NOW + 40 * D, ends=NOW + 50 * D, purge=NOW + 60 * D), False,
         Caps(may_exceed=True), False),
        (dates(starts=NOW + 40 * D, ends=NOW + 50 * D, purge=NOW + 60 * D), False,
         Caps(max_grace=None), False),
        # instructors allowed past the caps: never past the notice
        (dates(purge=datetime(2099, 1, 1, tzinfo=timezone.utc)), False,
         Caps(may_exceed=True), False),
        (dates(purge=NOW + H), False, Caps(may_exceed=True), ("delete-after", "24 hours")),
        # no caps at all
        (dates(ends=NOW + 400 * D, purge=NOW + 900 * D), False,
         Caps(max_length=None, max_grace=None), False),
        # admins are not capped; purging sooner than the notice is theirs, and flagged
        (dates(ends=NOW + 2 * timedelta(seconds=1), purge=NOW + 3 * timedelta(seconds=1)),
         True, CAPS, True),
        (dates(purge=datetime(2099, 1, 1, tzinfo=timezone.utc)), True, CAPS, False),
        (dates(purge=NOW + 5 * D), True, CAPS, False),  # earlier, but with notice
    ],
)  # fmt: skip
def test_check_caps(after, admin, caps, outcome):
    if isinstance(outcome, tuple):
        field, fragment = outcome
        with pytest.raises(InputError) as e:
            check_caps(BEFORE, after, caps, NOW, admin=admin)
        assert e.value.field == field and fragment in str(e.value), str(e.value)
    else:
        assert check_caps(BEFORE, after, caps, NOW, admin=admin) is outcome


def test_a_workshop_an_admin_made_long_keeps_its_length_for_its_instructor():
    long = WorkshopInput("py", "Py", NOW - D, NOW + 60 * D, NOW + 200 * D)
    renamed = WorkshopInput("py", "Python", long.starts_at, long.ends_at, long.delete_after)
    assert check_caps(long, renamed, CAPS, NOW, admin=False) is False
    # shortening is fine; lengthening further is not
    shorter = WorkshopInput("py", "Py", NOW - D, NOW + 50 * D, NOW + 190 * D)
    assert check_caps(long, shorter, CAPS, NOW, admin=False) is False
    longer = WorkshopInput("py", "Py", NOW - D, NOW + 61 * D, NOW + 200 * D)
    with pytest.raises(InputError, match="longer than the 14 days"):
        check_caps(long, longer, CAPS, NOW, admin=False)


def test_a_purge_already_inside_the_notice_may_stay_or_move_later():
    soon = WorkshopInput("py", "Py", NOW - 3 * D, NOW - D, NOW + 2 * H)
    assert check_caps(soon, soon, CAPS, NOW, admin=False) is False
    later = WorkshopInput("py", "Py", NOW - 3 * D, NOW - D, NOW + 3 * H)
    assert check_caps(soon, later, CAPS, NOW, admin=False) is False


def test_a_purge_an_admin_set_far_off_may_stay_but_not_move_later():
    far = WorkshopInput("py", "Py", NOW - D, NOW + 10 * D, NOW + 300 * D)
    renamed = WorkshopInput("py", "Python", far.starts_at, far.ends_at, far.delete_after)
    assert check_caps(far, renamed, CAPS, NOW, admin=False) is False
    nearer = WorkshopInput("py", "Py", NOW - D, NOW + 10 * D, NOW + 290 * D)
    assert check_caps(far, nearer, CAPS, NOW, admin=False) is False
    # the whole window moved later, length and grace kept: the purge goes further off
    later = WorkshopInput("py", "Py", NOW + 9 * D, NOW + 20 * D, NOW + 310 * D)
    with pytest.raises(InputError, match="later than") as e:
        check_caps(far, later, CAPS, NOW, admin=False)
    assert e.value.field == "delete-after"


@pytest.mark.parametrize(
    "admin, may, refused",
    [(False, True, False), (False, False, True), (True, False, False), (True, True, False)],
)
def test_who_may_add_instructors(admin, may, refused):
    caps = Caps(instructors_add_instructors=may)
    if refused:
        with pytest.raises(Forbidden, match="instructors_may_add_instructors") as e:
            check_instructor_role(caps, admin=admin)
        assert e.value.field == "role"
    else:
        check_instructor_role(caps, admin=admin)
