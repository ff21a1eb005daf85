"""The pure parts of the instructors' tools: roster parsing and usernames, the session
check of a reissued code, every bad field of a workshop form at once, the cards' login
URL and QR code, and the landing URL for admins and instructors; plus migration 0006."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import segno
from sqlalchemy import inspect

from hubtypes.access.codes import session_predates_code
from hubtypes.access.roster import (
    Person,
    RosterError,
    base_username,
    parse_roster,
    plan_roster,
)
from hubtypes.inputs import check_workshop, workshop_problems
from hubtypes.services.workshop.cards import login_url, qr_svg
from hubtypes.services.workshop.hub_config import landing_url

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,email\nAda Lovelace,ada@example.org\n", [("Ada Lovelace", "ada@example.org")]),
        ("\ufeffE-mail;Full name\nada@x.org;Ada\n", [("Ada", "ada@x.org")]),
        ("Ada Lovelace <ada@x.org>\n\nbob@y.org\nCarl, carl@z.org\n",
         [("Ada Lovelace", "ada@x.org"), ("", "bob@y.org"), ("Carl", "carl@z.org")]),
        ("Name\nJosé Núñez\n", [("José Núñez", "")]),
    ],
)  # fmt: skip
def test_rosters_are_read_from_csv_or_a_pasted_list(text, expected):
    assert [(p.name, p.email) for p in parse_roster(text)] == expected


@pytest.mark.parametrize("text", ["", "  \n\n", "name,email\n"])
def test_an_empty_roster_is_refused(text):
    with pytest.raises(RosterError):
        parse_roster(text)


@pytest.mark.parametrize(
    ("person", "prefix", "username"),
    [
        (Person(1, "José Núñez"), "", "jose-nunez"),
        (Person(1, "Ada", "Ada.Lovelace+ws@x.org"), "py-", "py-ada-lovelace"),
        (Person(1, "2pac"), "", "u-2pac"),
        (Person(1, "李"), "", ""),  # nothing ASCII to make a name of
        (Person(1, "x" * 80), "py-", "py-" + "x" * 29),
        (Person(1, "Ada", "", "ADA_L"), "", "ada-l"),
    ],
)
def test_usernames_are_derived_safely(person, prefix, username):
    assert base_username(person, prefix) == username


def test_collisions_are_resolved_and_said_and_bad_rows_named():
    people = parse_roster(
        "name,email\nAda,ada@x.org\nAda,ada@y.org\n,ada@x.org\n李,\nBob,not-an-email\n"
    )
    plan = plan_roster(people, taken={"py-ada"}, prefix="py-")
    rows = {r.person.line: r for r in plan.rows}
    assert (rows[2].username, rows[2].note) == ("py-ada-2", "py-ada was taken; given py-ada-2")
    assert rows[3].username == "py-ada-3"  # the earlier row's name counts as taken too
    assert "same email as line 2" in rows[4].problem
    assert "no letters" in rows[5].problem
    assert "not an email address" in rows[6].problem
    assert plan.usernames == ["py-ada-2", "py-ada-3"]


def test_a_session_from_before_a_reissue_ends_and_a_new_login_keeps_going():
    issued = NOW
    assert not session_predates_code(NOW - timedelta(hours=1), None)  # never reissued
    assert session_predates_code(NOW - timedelta(seconds=1), issued)  # logged in with the old
    assert session_predates_code(None, issued)
    assert not session_predates_code(NOW + timedelta(seconds=1), issued)  # the new code


def test_every_bad_field_of_a_workshop_form_is_reported_at_once():
    problems = workshop_problems("Bad Slug", "t", "soon", "+1d", "later", NOW)
    assert [p.field for p in problems] == ["slug", "starts", "delete-after"]
    problems = workshop_problems("ok", "t", "+2d", "+1d", "+0s", NOW)
    assert [p.field for p in problems] == ["ends", "delete-after"]
    # nothing reported exactly when check_workshop accepts the same input
    assert workshop_problems("ok", "t", "+0s", "+1d", "+2d", NOW) == []
    check_workshop("ok", "t", "+0s", "+1d", "+2d", NOW)


def test_the_card_links_the_login_page_with_the_username_and_its_qr_says_so():
    url = login_url("https://hub.example.org/", "/jh/hub/", "py-001")
    assert url == "https://hub.example.org/jh/hub/login?username=py-001"
    svg = qr_svg(url)
    assert svg.startswith("<svg") and svg == segno.make(url, error="m").svg_inline(
        scale=3, border=2
    )


def test_admins_and_instructors_land_on_the_workshop_service():
    land = landing_url("workshop")

    def handler(user):
        return SimpleNamespace(current_user=user, base_url="/")

    def user(admin=False, groups=()):
        return SimpleNamespace(admin=admin, groups=[SimpleNamespace(name=g) for g in groups])

    assert land(handler(user(admin=True))) == "/services/workshop/"
    assert land(handler(user(groups=["hubtypes-instructors"]))) == "/services/workshop/"
    assert land(handler(user(groups=["workshop-py"]))) == ""  # a participant: the default
    assert land(handler(None)) == ""


def test_migration_0006_adds_the_code_issued_column(tmp_path):
    from hubtypes.db.engine import make_engine
    from hubtypes.db.schema import HEAD, head_revision, upgrade

    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    assert HEAD == head_revision() == "0006"
    upgrade(url)
    columns = {c["name"] for c in inspect(make_engine(url)).get_columns("hubtypes_accounts")}
    assert "code_issued_at" in columns
