"""What the command line and the service refuse, and why."""

from datetime import datetime, timedelta, timezone

import pytest

from hubtypes.access.names import numbered_usernames, username_problem
from hubtypes.inputs import (
    InputError,
    check_count,
    check_expiry,
    check_role,
    check_usernames,
    check_workshop,
    parse_when,
    plan_usernames,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=timezone.utc)),
        ("2026-12-01T17:00", datetime(2026, 12, 1, 17, tzinfo=timezone.utc)),
        ("2026-12-01T17:00+01:00", datetime(2026, 12, 1, 16, tzinfo=timezone.utc)),
        ("2026-12-01T17:00Z", datetime(2026, 12, 1, 17, tzinfo=timezone.utc)),
        ("+3d", NOW + timedelta(days=3)),
        ("+90m", NOW + timedelta(minutes=90)),
        ("+5s", NOW + timedelta(seconds=5)),
    ],
)
def test_parse_when(text, expected):
    assert parse_when(text, "starts", NOW) == expected


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01", "", "+3w", "12/01/2026"])
def test_parse_when_refuses(text):
    with pytest.raises(InputError) as e:
        parse_when(text, "ends", NOW)
    assert e.value.field == "ends"
    assert "2026-12-01" in e.value.message  # shows how to write it


@pytest.mark.parametrize(
    "slug, starts, ends, purge, field",
    [
        ("Bad Slug", "+1d", "+2d", "+3d", "slug"),
        ("../etc", "+1d", "+2d", "+3d", "slug"),
        ("ok", "+2d", "+1d", "+3d", "ends"),
        ("ok", "+1d", "+1d", "+3d", "ends"),
        ("ok", "2026-01-01", "2026-01-02", "2026-12-30", "ends"),
        ("ok", "+1d", "+3d", "+2d", "delete-after"),
        ("ok", "soon", "+3d", "+4d", "starts"),
    ],
)
def test_check_workshop_refuses(slug, starts, ends, purge, field):
    with pytest.raises(InputError) as e:
        check_workshop(slug, "", starts, ends, purge, NOW)
    assert e.value.field == field


def test_check_workshop_ok():
    w = check_workshop("py-2026", "  ", "+0s", "+2d", "+2d", NOW)
    assert w.title == "py-2026" and w.ends_at == w.delete_after


@pytest.mark.parametrize("count", [0, -1, 10_001])
def test_count_out_of_range(count):
    with pytest.raises(InputError, match="count"):
        check_count(count)


def test_role():
    assert check_role("instructor") == "instructor"
    with pytest.raises(InputError, match="role"):
        check_role("root")


def test_plan_usernames_continue_numbering():
    assert plan_usernames("py-", 3, set()) == ["py-001", "py-002", "py-003"]
    assert plan_usernames("py-", 2, {"py-003", "py-x", "other-009"}) == ["py-004", "py-005"]
    assert numbered_usernames("a", 1000, set())[-1] == "a1000"


@pytest.mark.parametrize("prefix", ["Py-", "py/", "9py-", "a" * 30, "é-", " py"])
def test_plan_usernames_refuses_prefixes_the_hub_would_reject(prefix):
    with pytest.raises(InputError) as e:
        plan_usernames(prefix, 5, set())
    assert e.value.field == "prefix"


def test_check_usernames():
    assert check_usernames(["ann", "bob"]) == ["ann", "bob"]
    with pytest.raises(InputError, match="twice"):
        check_usernames(["ann", "ann"])
    with pytest.raises(InputError, match="not a valid username"):
        check_usernames(["Ann"])


@pytest.mark.parametrize("name", ["", "a/b", "..", "Ann", "x" * 33, "1abc", "a b"])
def test_username_problem(name):
    assert username_problem(name) is not None


def test_check_expiry():
    purge = NOW + timedelta(days=9)
    assert check_expiry(None, purge, NOW) is None
    assert check_expiry(NOW + timedelta(days=1), purge, NOW)
    with pytest.raises(InputError, match="past"):
        check_expiry(NOW - timedelta(seconds=1), purge, NOW)
    with pytest.raises(InputError, match="purge"):
        check_expiry(purge + timedelta(seconds=1), purge, NOW)


@pytest.mark.parametrize(
    "module, new",
    [
        ("hubtypes.paths", "hubtypes._data"),
        ("hubtypes.authenticator", "hubtypes.auth.workshop"),
        ("hubtypes.services.workshop.hubside", "hubtypes.services.workshop.hub_config"),
    ],
)
def test_old_import_paths_still_work_for_one_release(module, new):
    import importlib
    import sys
    import warnings

    sys.modules.pop(module, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module(module)
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    assert all(getattr(old, name) is getattr(importlib.import_module(new), name, None)
               or name in ("ADMIN_SCOPE", "INSTRUCT_SCOPE") for name in old.__all__)  # fmt: skip
