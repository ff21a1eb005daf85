"""The command line without a hub: an example in every --help, read-only commands that
create no database, and the demo's refusals that come before it starts anything."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from realhub import free_port

from hubtypes.cli import EXAMPLES, build_parser
from hubtypes.cli.demo import check_ports_free
from hubtypes.cli.demo_hubs import Ports, binder_link
from hubtypes.errors import InputError


def hubtypes(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubtypes.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def commands(parser: argparse.ArgumentParser, path: str = "") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [f"{path} {name}".strip(), *commands(sub, f"{path} {name}".strip())]
    return found


@pytest.mark.parametrize("command", commands(build_parser()))
def test_every_help_has_an_example(command, tmp_path):
    r = hubtypes(*command.split(), "--help", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "\nexample" in r.stdout, r.stdout
    # a leaf command shows its own example, a group its commands'
    mine = [e for c, e in EXAMPLES.items() if c == command or c.startswith(command + " ")]
    assert mine and all(e in r.stdout for e in mine), (command, r.stdout)


def test_every_command_has_its_example_listed():
    leaves = {c for c in commands(build_parser()) if not any(
        o.startswith(c + " ") for o in commands(build_parser()))}  # fmt: skip
    assert leaves == set(EXAMPLES)
    assert all(e.startswith(f"hubtypes {c}") for c, e in EXAMPLES.items())


@pytest.mark.parametrize(
    "args", [["workshop", "list"], ["accounts", "list", "--workshop", "x"], ["usage"]]
)
def test_read_only_commands_create_no_database(args, tmp_path):
    r = hubtypes(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert "--db-url: there is no hubtypes database at" in r.stderr
    assert str(tmp_path / "hubtypes.sqlite") in r.stderr
    elsewhere = tmp_path / "sub" / "h.sqlite"
    r = hubtypes(*args, "--db-url", f"sqlite:///{elsewhere}", cwd=tmp_path)
    assert r.returncode == 2 and str(elsewhere) in r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_list_reads_a_database_that_exists(tmp_path):
    assert hubtypes("db", "upgrade", cwd=tmp_path).returncode == 0
    r = hubtypes("workshop", "list", cwd=tmp_path)
    assert r.returncode == 0 and "slug" in r.stdout, r.stderr
    r = hubtypes("usage", "--days", "0", cwd=tmp_path)
    assert r.returncode == 2 and "--days: give 1 to 3660" in r.stderr


def test_demo_ports_all_follow_port():
    ports = Ports.from_base(8000)
    assert (ports.public, ports.proxy_api, ports.hub) == (8000, 8001, 8081)  # JupyterHub's
    assert (ports.workshop_service, ports.culler) == (8002, 8003)
    assert Ports.from_base(9000).named()[-1] == (9081, "the hub's own API")


def free_base() -> Ports:
    """Demo ports (base, +1, +2, +3, +81) that are all free right now."""
    for _ in range(50):
        ports = Ports.from_base(free_port())
        try:
            check_ports_free(ports)
        except InputError:
            continue
        return ports
    raise RuntimeError("no free set of demo ports")


@pytest.mark.parametrize("which", range(5))
def test_demo_names_whichever_of_its_ports_is_in_use(which):
    ports = free_base()
    port, what = ports.named()[which]
    with socket.socket() as listener:  # something else listening there
        listener.bind(("127.0.0.1", port))
        listener.listen()
        with pytest.raises(InputError) as refused:
            check_ports_free(ports)
    assert refused.value.field == "port"
    assert f"port {port} ({what}) is in use" in str(refused.value)
    assert "--port" in str(refused.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "80"], "--port: give 1024 to 65454, not 80"),
        (["--port", "65500"], "--port: give 1024 to 65454, not 65500"),
        (["--participants", "0"], "--participants: give 1 to 100"),
    ],
)
def test_demo_refuses_bad_options(args, message, tmp_path):
    r = hubtypes("demo", *args, "--state-dir", str(tmp_path / "s"), cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not (tmp_path / "s").exists()


def test_demo_refuses_a_state_directory_of_another_type_or_with_a_hub_left(tmp_path):
    state = tmp_path / "s"
    state.mkdir()
    (state / "demo-type").write_text("workshop\n")
    port = str(free_port())
    r = hubtypes("demo", "--type", "binder", "--port", port, "--state-dir", str(state),
                 cwd=tmp_path)  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert f"--state-dir: {state} holds a workshop demo, not a binder one" in r.stderr
    # a hub an earlier demo started (its pid file names a live jupyterhub process)
    leftover = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                 "jupyterhub"])  # fmt: skip
    try:
        (state / "jupyterhub.pid").write_text(str(leftover.pid))
        r = hubtypes("demo", "--port", port, "--state-dir", str(state), cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert f"a hub started from {state} still runs (pid {leftover.pid})" in r.stderr
    finally:
        leftover.kill()
        leftover.wait()
    assert not (state / "jupyterhub_config.py").exists()  # refused before anything


def test_binder_links():
    assert binder_link("http://hub.example.org/") == "http://hub.example.org/hub/tmplogin"
    link = binder_link("http://h/", "https://github.com/org/course.git", branch="main",
                       open_path="intro.ipynb")  # fmt: skip
    assert link == (
        "http://h/hub/tmplogin?next=/hub/spawn?next=/hub/user-redirect/git-pull?"
        "repo=https://github.com/org/course.git%2526branch=main%2526targetpath=course"
        "%2526urlpath=lab/tree/course/intro.ipynb"
    )
    # each level decodes to the next one, as tornado's get_argument does
    from urllib.parse import parse_qs, urlsplit

    spawn = parse_qs(urlsplit(link).query)["next"][0]
    git_pull = parse_qs(urlsplit(spawn).query)["next"][0]
    assert parse_qs(urlsplit(git_pull).query) == {
        "repo": ["https://github.com/org/course.git"], "branch": ["main"],
        "targetpath": ["course"], "urlpath": ["lab/tree/course/intro.ipynb"],
    }  # fmt: skip
    odd = binder_link("http://h/", "file:///srv/my materials&more")
    spawn = parse_qs(urlsplit(odd).query)["next"][0]
    git_pull = parse_qs(urlsplit(spawn).query)["next"][0]
    assert parse_qs(urlsplit(git_pull).query)["repo"] == ["file:///srv/my materials&more"]
