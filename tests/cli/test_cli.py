"""The ``hubtypes`` command, run as a real subprocess."""

import csv
import io
import subprocess
import sys

import clirun
import pytest

from hubtypes.access.codes import verify_code
from hubtypes.db.database import Database
from hubtypes.db.queries import logins
from hubtypes.db.queries.accounts import existing_usernames
from hubtypes.db.schema import HEAD


def hubtypes(*args, db_url=None, hub_check=False):
    cmd = [sys.executable, "-m", "hubtypes.cli", *args]
    if args[:2] == ("accounts", "create") and not hub_check:
        cmd.append("--skip-hub-check")  # no hub here (the hub check: test_caps_hub.py)
    if db_url:
        cmd += ["--db-url", db_url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


WORKSHOP = ("workshop", "create", "py", "--title", "Python", "--starts", "+0s", "--ends", "+2d",
            "--delete-after", "+9d")  # fmt: skip


@pytest.fixture
def url(tmp_path):
    """A database with the workshop ``py``, made in this process (tests/clirun.py): the
    tests are about the commands that follow, which run as subprocesses."""
    url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    clirun.ok(*WORKSHOP, "--db-url", url)
    return url


def test_workshop_create_says_what_it_made(tmp_path):
    r = hubtypes(*WORKSHOP, db_url=f"sqlite:///{tmp_path / 'hubtypes.sqlite'}")
    assert r.returncode == 0, r.stderr
    assert "workshop 'py' (Python): opens " in r.stdout and ", purged after " in r.stdout


def count_accounts(url):
    db = Database(url)
    with db.session() as s:
        n = len(existing_usernames(s))
    db.dispose()
    return n


def test_create_accounts_prints_codes_once_as_csv(url):
    r = hubtypes("accounts", "create", "--workshop", "py", "--count", "3", "--format", "csv",
                 db_url=url)  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["username"] for row in rows] == ["py-001", "py-002", "py-003"]
    db = Database(url)
    with db.session() as s:
        for row in rows:
            _, stored = logins.account_for_login(s, row["username"])
            assert verify_code(row["code"], stored)
            assert row["code"] not in r.stderr
    db.dispose()
    # listing shows accounts, never codes
    listing = hubtypes("accounts", "list", "--workshop", "py", db_url=url)
    assert listing.returncode == 0 and "py-003" in listing.stdout and "never" in listing.stdout
    assert not any(row["code"] in listing.stdout for row in rows)
    # a second batch continues the numbering
    more = hubtypes("accounts", "create", "--workshop", "py", "--count", "2", db_url=url)
    assert "py-004" in more.stdout and "py-005" in more.stdout


def test_staff_accounts(url):
    r = hubtypes("accounts", "create", "--role", "admin", "--usernames", "boss", db_url=url)
    assert r.returncode == 0, r.stderr
    r = hubtypes("accounts", "create", "--workshop", "py", "--role", "instructor",
                 "--usernames", "teach-a,teach-b", "--expires", "+3d", db_url=url)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "teach-b" in r.stdout and "instructor" in r.stdout
    listing = hubtypes("workshop", "list", db_url=url)
    assert "py" in listing.stdout and listing.stdout.splitlines()[1].split()[-1] == "2"


@pytest.mark.parametrize(
    "args, field",
    [
        (["accounts", "create", "--workshop", "py", "--count", "0"], "--count"),
        (["accounts", "create", "--workshop", "py", "--count", "10001"], "--count"),
        (["accounts", "create", "--workshop", "nope", "--count", "2"], "--workshop"),
        (["accounts", "create", "--count", "2"], "--workshop"),
        (["accounts", "create", "--workshop", "py", "--count", "2", "--prefix", "Py/"],
         "--prefix"),
        (["accounts", "create", "--workshop", "py", "--usernames", "ok-1,ok-1"], "--usernames"),
        (["accounts", "create", "--workshop", "py", "--usernames", "ok-1,Bad"], "--usernames"),
        (["accounts", "create", "--workshop", "py", "--count", "2", "--role", "root"], "--role"),
        (["accounts", "create", "--workshop", "py", "--count", "2", "--expires", "+30d"],
         "--expires"),
        (["accounts", "create", "--workshop", "py", "--count", "2", "--expires", "later"],
         "--expires"),
        (["workshop", "create", "w2", "--starts", "2026-13-01", "--ends", "+1d",
          "--delete-after", "+2d"], "--starts"),
        (["workshop", "create", "w2", "--starts", "+2d", "--ends", "+1d",
          "--delete-after", "+3d"], "--ends"),
        (["workshop", "create", "w2", "--starts", "+0s", "--ends", "+2d",
          "--delete-after", "+1d"], "--delete-after"),
        (["workshop", "create", "py", "--starts", "+0s", "--ends", "+2d",
          "--delete-after", "+3d"], "--slug"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(url, args, field):
    before = count_accounts(url)
    r = hubtypes(*args, db_url=url)
    assert r.returncode == 2, (r.stdout, r.stderr)
    [line] = r.stderr.strip().splitlines()
    assert line.startswith(f"hubtypes: error: {field}:"), line
    assert r.stdout == ""
    assert count_accounts(url) == before


def test_duplicate_username_writes_nothing(url):
    assert hubtypes("accounts", "create", "--workshop", "py", "--usernames", "ann",
                    db_url=url).returncode == 0  # fmt: skip
    r = hubtypes("accounts", "create", "--workshop", "py", "--usernames", "bob,ann", db_url=url)
    assert r.returncode == 2 and "--usernames: already exist: ann" in r.stderr
    assert count_accounts(url) == 1


def test_db_upgrade_and_out_of_date_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    r = hubtypes("db", "upgrade", db_url=url)
    assert r.returncode == 0 and f"revision {HEAD} (was empty)" in r.stdout
    r = hubtypes("db", "upgrade", db_url=url)
    assert r.returncode == 0 and f"(was {HEAD})" in r.stdout
    # a database from a future/older hubtypes: the revision does not match
    import sqlite3

    with sqlite3.connect(tmp_path / "fresh.sqlite") as conn:
        conn.execute("UPDATE hubtypes_alembic_version SET version_num = '0000'")
    r = hubtypes("workshop", "list", db_url=url)
    assert r.returncode == 2
    assert "hubtypes db upgrade --db-url" in r.stderr and "revision 0000" in r.stderr


def test_demo_without_proxy_says_how_to_install(tmp_path):
    # no configurable-http-proxy on this PATH, nor in node_modules above tmp_path
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "hubtypes.cli", "demo", "--state-dir", str(tmp_path / "s")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    assert "npm install -g configurable-http-proxy" in r.stderr


def test_without_a_hub_to_ask_accounts_are_refused_by_default(url):
    r = hubtypes("accounts", "create", "--workshop", "py", "--count", "2", db_url=url,
                 hub_check=True)  # fmt: skip
    assert r.returncode == 2 and r.stdout == ""
    assert "cannot ask the hub which names it already has" in r.stderr
    assert "--skip-hub-check" in r.stderr and "--hub-api-url" in r.stderr
    assert count_accounts(url) == 0
