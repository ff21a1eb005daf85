"""The ``hubtypes`` command's REST route (--hub-url/--token) against a real hub and service."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
import svchub
from realhub import free_port

pytestmark = pytest.mark.hub

ROUTE_ENV = ("HUBTYPES_HUB_URL", "JUPYTERHUB_API_TOKEN", "HUBTYPES_DB_URL")


def hubtypes(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ROUTE_ENV}
    return subprocess.run([sys.executable, "-m", "hubtypes.cli", *args], capture_output=True,
                          text=True, timeout=60, env={**clean, **(env or {})})  # fmt: skip


def credentials(stdout: str) -> dict[str, str]:
    return {row["username"]: row["code"] for row in csv.DictReader(io.StringIO(stdout))}


def test_command_through_the_service(real_hub_factory, tmp_path):
    sh = svchub.start(real_hub_factory, tmp_path)
    admin = sh.hub.admin_token
    seen: list[str] = []

    def remote(*args: str, token: str = admin, status: int = 0) -> subprocess.CompletedProcess:
        r = hubtypes(*args, "--hub-url", sh.hub.url, "--token", token)
        assert r.returncode == status, (args, r.stdout, r.stderr)
        seen.append(r.stdout + r.stderr)
        return r

    def error(*args: str, token: str = admin) -> str:
        r = remote(*args, token=token, status=2)
        assert r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
        return r.stderr.strip()

    # an admin's token: workshops and accounts, printed as the direct route prints them
    r = remote("workshop", "create", "a", "--title", "A", "--starts", "+0s", "--ends", "+2d",
               "--delete-after", "+9d")  # fmt: skip
    assert r.stdout.startswith("workshop 'a' (A): opens ") and "purged after" in r.stdout
    remote("workshop", "create", "b", "--starts", "+0s", "--ends", "+2d", "--delete-after", "+9d")
    r = remote("accounts", "create", "--workshop", "a", "--count", "3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["username"] for row in rows] == ["a-001", "a-002", "a-003"]
    assert all(row["role"] == "participant" and row["workshop"] == "a" for row in rows)
    for row in rows:  # each code once, on stdout only
        assert r.stdout.count(row["code"]) == 1 and row["code"] not in r.stderr
    assert "created 3 participant account(s)" in r.stderr
    sh.codes.update(credentials(r.stdout))
    r = remote("accounts", "create", "--workshop", "a", "--role", "instructor",
               "--usernames", "teach-a", "--format", "csv")  # fmt: skip
    sh.codes.update(credentials(r.stdout))

    sh.login("a-001")  # a code from the command's CSV logs in
    listing = remote("accounts", "list", "--workshop", "a").stdout
    lines = {line.split()[0]: line for line in listing.splitlines()[1:]}
    assert sorted(lines) == ["a-001", "a-002", "a-003", "teach-a"]
    assert "never" not in lines["a-001"] and "never" in lines["a-002"]
    # the very text of the direct-database route
    assert listing == sh.cli("accounts", "list", "--workshop", "a")
    assert remote("workshop", "list").stdout == sh.cli("workshop", "list")

    # an instructor's own hub token, from the environment: their workshop, not another
    sh.login("teach-a")
    teach = sh.token("teach-a")
    env = {"HUBTYPES_HUB_URL": sh.hub.url, "JUPYTERHUB_API_TOKEN": teach}
    r = hubtypes("accounts", "create", "--workshop", "a", "--count", "2", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[:5] == ["username", "code", "role", "workshop", "expires_at"]
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == ["a-004", "a-005"]
    r = hubtypes("accounts", "create", "--workshop", "b", "--count", "2", env=env)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.strip() == "hubtypes: error: you do not instruct workshop 'b'"
    # an explicit --db-url still goes to the database
    r = hubtypes("accounts", "list", "--workshop", "b", "--db-url", sh.db_url, env=env)
    assert r.returncode == 0 and r.stdout.startswith("username"), r.stderr

    # bad input: one message naming the option, exit 2, nothing created
    assert error("accounts", "create", "--workshop", "a", "--count", "0").startswith(
        "hubtypes: error: --count: 0 is out of range"
    )
    assert error("accounts", "create", "--workshop", "nope", "--count", "1").startswith(
        "hubtypes: error: --workshop: "
    )
    create_c = ["workshop", "create", "c", "--starts", "+0s", "--ends", "+2d", "--delete-after"]
    assert error(*create_c, "+1d").startswith("hubtypes: error: --delete-after: ")
    assert error(*create_c, "+3d", token=teach) == (
        "hubtypes: error: only workshop admins may create workshops"
    )
    assert error("accounts", "list", "--workshop", "a", token="not-a-token") == (
        "hubtypes: error: the token is not valid for the workshop service"
    )
    assert len(sh.call("GET", "workshops/a/accounts").json()["accounts"]) == 6
    assert [w["slug"] for w in sh.call("GET", "workshops").json()["workshops"]] == ["a", "b"]

    # nobody there
    port = free_port()
    r = hubtypes("workshop", "list", "--hub-url", f"http://127.0.0.1:{port}/", "--token", admin)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.startswith(
        f"hubtypes: error: cannot reach the workshop service at "
        f"http://127.0.0.1:{port}/services/workshop/api: "
    )
    # tokens are never printed
    assert not [out for out in seen if admin in out or teach in out]
