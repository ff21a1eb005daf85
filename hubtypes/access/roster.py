"""A workshop's roster: the people in an uploaded CSV or a pasted list, and their usernames.

Pure: text in, a plan out. The plan lists every person with the username they will get
and why (a name that was taken gets a number), or what is wrong with their row, so an
instructor sees every name before anything is created. Usernames are derived safely:
letters are folded to ASCII (``José`` → ``jose``), anything but letters, digits and ``-``
becomes ``-``, the hub's rules (:data:`hubtypes.access.names.USERNAME_PATTERN`) hold for
every result, and a name already taken (an account, a hub user, an earlier row) gets
``-2``, ``-3``... rather than being shared.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hubtypes.access.names import username_problem

MAX_PEOPLE = 1000
MAX_USERNAME = 32
_EMAIL = re.compile(r"^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$")
_ANGLE = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]+)>\s*$")  # Ada Lovelace <ada@x.org>
_NAME_COLUMNS = ("name", "full name", "full_name", "participant", "display name")
_EMAIL_COLUMNS = ("email", "e-mail", "mail", "email address")
_USERNAME_COLUMNS = ("username", "user", "login")


@dataclass(frozen=True)
class Person:
    """One row of the roster as given (line numbers count from 1, the header included)."""

    line: int
    name: str = ""
    email: str = ""
    username: str = ""  # a username the roster asks for (a ``username`` column)


@dataclass(frozen=True)
class Planned:
    """A person and the username they get, or the problem that stops their row."""

    person: Person
    username: str = ""
    note: str = ""  # e.g. "ada was taken; given ada-2"
    problem: str = ""


@dataclass(frozen=True)
class RosterPlan:
    rows: tuple[Planned, ...]

    @property
    def problems(self) -> list[Planned]:
        return [r for r in self.rows if r.problem]

    @property
    def usernames(self) -> list[str]:
        return [r.username for r in self.rows if not r.problem]

    @property
    def renamed(self) -> list[Planned]:
        return [r for r in self.rows if r.note and not r.problem]


class RosterError(ValueError):
    """The roster as a whole cannot be read (empty, no usable column, too long)."""


def _column(header: list[str], names: Iterable[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def parse_roster(text: str) -> list[Person]:
    """The people in ``text``: a CSV with a header naming a ``name`` and/or ``email``
    column (``username`` too, optionally), or a pasted list, one person a line
    (``Ada Lovelace``, ``ada@example.org``, ``Ada Lovelace <ada@example.org>`` or
    ``Ada Lovelace, ada@example.org``)."""
    text = text.lstrip("\ufeff")  # a spreadsheet's byte-order mark
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise RosterError("the roster is empty: upload a CSV or paste one person a line")
    sample = next(line for line in lines if line.strip())
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    first = next(i for i, r in enumerate(rows) if any(c.strip() for c in r))
    header = rows[first]
    columns = [_column(header, c) for c in (_NAME_COLUMNS, _EMAIL_COLUMNS, _USERNAME_COLUMNS)]
    people: list[Person] = []
    if any(c is not None for c in columns):
        for number, row in enumerate(rows[first + 1 :], start=first + 2):
            if not any(c.strip() for c in row):
                continue

            def cell(index: int | None, row: list[str] = row) -> str:
                return row[index].strip() if index is not None and index < len(row) else ""

            people.append(Person(number, cell(columns[0]), cell(columns[1]), cell(columns[2])))
    else:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                people.append(_person_of_line(number, line.strip()))
    if not people:
        raise RosterError("the roster has a header but no people under it")
    if len(people) > MAX_PEOPLE:
        raise RosterError(f"the roster has {len(people)} people; at most {MAX_PEOPLE} at once")
    return people


def _person_of_line(number: int, line: str) -> Person:
    if match := _ANGLE.match(line):
        return Person(number, match["name"].strip().strip('"'), match["email"].strip())
    parts = [p.strip() for p in re.split(r"[,;\t]", line) if p.strip()]
    emails = [p for p in parts if "@" in p]
    names = [p for p in parts if "@" not in p]
    return Person(number, " ".join(names), emails[0] if emails else "")


def base_username(person: Person, prefix: str = "") -> str:
    """The username a person's row asks for: their ``username`` cell, else their email's
    local part, else their name, folded to what the hub accepts (may be empty)."""
    source = person.username or person.email.split("@", 1)[0].split("+", 1)[0] or person.name
    folded = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        return ""
    name = f"{prefix}{slug}"
    if not name[0].isalpha():
        name = f"u-{name}"
    return name[:MAX_USERNAME].rstrip("-_")


def _numbered(base: str, n: int) -> str:
    suffix = f"-{n}"
    return base[: MAX_USERNAME - len(suffix)].rstrip("-_") + suffix


def plan_roster(people: list[Person], taken: set[str], prefix: str = "") -> RosterPlan:
    """Each person's username, unique against ``taken`` (existing accounts and hub users)
    and against the rows before; the rows that cannot get one say why."""
    used = set(taken)
    seen_emails: dict[str, int] = {}
    rows: list[Planned] = []
    for person in people:
        if person.email and not _EMAIL.match(person.email):
            rows.append(Planned(person, problem=f"{person.email!r} is not an email address"))
            continue
        key = person.email.lower()
        if key and key in seen_emails:
            problem = f"the same email as line {seen_emails[key]}"
            rows.append(Planned(person, problem=problem))
            continue
        if key:
            seen_emails[key] = person.line
        base = base_username(person, prefix)
        if not base:
            what = "no name or email" if not (person.name or person.email) else "no letters"
            rows.append(Planned(person, problem=f"{what} to make a username of"))
            continue
        rule = username_problem(base)
        if rule is not None:
            rows.append(Planned(person, problem=rule))
            continue
        name, n = base, 1
        while name in used:
            n += 1
            name = _numbered(base, n)
        note = f"{base} was taken; given {name}" if name != base else ""
        used.add(name)
        rows.append(Planned(person, name, note))
    return RosterPlan(tuple(rows))


def plan_json(plan: RosterPlan) -> dict[str, Any]:
    return {
        "people": [
            {
                "line": r.person.line,
                "name": r.person.name,
                "email": r.person.email,
                "username": r.username or None,
                "note": r.note or None,
                "problem": r.problem or None,
            }
            for r in plan.rows
        ],
        "usernames": plan.usernames,
        "problems": len(plan.problems),
        "renamed": len(plan.renamed),
    }
