"""JupyterHub's own spawner tests pass with hubtypes' spawner classes in place of the stock ones.

JupyterHub ships its test suite inside the package (``jupyterhub.tests``). This runs the
modules that exercise spawners — ``test_spawner``, ``test_named_servers`` and the spawner
parts of ``test_api`` (spawn, stop, servers, progress) — unmodified,
for the installed JupyterHub, with the plugin ``tests/peer/hubtypes_peer.py`` substituting
hubtypes' classes (MockHub's MockSpawner then sits on the mixin). hubtypes' database is
empty there, so everyone is a community user: exactly the users for whom the mixin must
behave like the spawner it extends.

Failures are excused one by one, by test id, with the reason; any other failure (or an
excused test that now passes, which means the list should shrink) fails this test.
The pytest options are those JupyterHub's own test configuration sets for asyncio.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PEER = Path(__file__).resolve().parents[1] / "peer"
# two runs at once (each mostly waits for spawns): module files and a -k selection
RUNS = [
    (["test_spawner", "test_named_servers"], ""),
    (["test_api"], "spawn or server or stop or progress"),
]
STATE = "the server model's `state` must equal {'pid': 0}; the mixin adds its `hubtypes` key"
PROGRESS = "the exact progress events; the mixin adds its own first ('Preparing your home')"
EXCUSED = {
    "test_named_servers::test_default_server": STATE,
    "test_api::test_progress": PROGRESS,
    "test_api::test_progress_bad_slow": PROGRESS,
    **{
        f"test_named_servers::test_create_or_start_named_server[{params}]": STATE
        for params in (
            "trevor-None-trevor-False-False",
            "trevor-My name is Trevor-trevor-False-False",
            "$p~c|a! ch@rs--%24p~c%7Ca%21%20ch@rs-True-True",
            "hash#?question--hash%23%3Fquestion-True-True",
            # pytest writes non-ASCII characters of test ids as escapes
            r"server1-e_\xea\u1eb9\xe8\xea\xe9\xf8\xdf\xe6\u1e63--server1-False-False",
            r"server-abcdef12-e_\xea\u1eb9\xe8\xea\xe9\xf8\xdf\xe6\u1e63--server-abcdef12-False-False",
        )
    },
    # the same assertion under its JupyterHub 5.5 name
    **{
        f"test_named_servers::test_create_named_server[{params}]": STATE
        for params in (
            "trevor-trevor-False",
            "$p~c|a! ch@rs-%24p~c%7Ca%21%20ch@rs-False",
            "$p~c|a! ch@rs-%24p~c%7Ca%21%20ch@rs-True",
            "hash#?question-hash%23%3Fquestion-True",
        )
    },
}
# Either outcome is right: the test stops a server 0.1 s into its spawn and expects the
# stop to be slow (202), which holds once the spawner's process runs. The mixin first reads
# hubtypes' database and prepares the home (on a fresh database, after its migrations; on a
# loaded machine, a while), and a stop before the process exists is complete at once (204,
# JupyterHub's `User.stop` polls, sees nothing running and does not call `stop`).
EITHER = {
    "test_api::test_start_stop_race": "a stop during the mixin's preparation is immediate",
    # The hub answers the DELETE (remove) 204 and only then forgets the server, in a task
    # that awaits the spawner's delete_forever (jupyterhub/apihandlers/users.py
    # `_remove_spawner`, 5.5.1 and 6.1.1). A delete_forever that is a coroutine, as the
    # mixin's and KubeSpawner's are, is wrapped in a Task there (jupyterhub/utils.py
    # `maybe_future`): one more turn of the event loop than for a plain function, in which
    # the test's next POST, on a loaded machine, is counted against
    # `named_server_limit_per_user` (400). The mixin's own
    # delete_forever does not yield for a named server sharing the home (tested in
    # test_spawner_operator_settings.py); this turn is the hub's.
    "test_named_servers::test_named_server_limit": "the hub's Task around an async "
    "delete_forever lets the next request in first (seen twice in CI under load)",
}
# Timing, not behaviour: JupyterHub answers a spawn request 201 when the server is up within
# its `slow_spawn_timeout` (10 s in MockHub) and 202 while it is still starting. On a loaded
# machine (CI runs three test workers on two cores) a spawn of the mock server can take
# longer with the stock spawner too, so a failure whose message is exactly this assertion is
# recorded as "slow" (and printed), not as a failure; any other assertion still fails.
SLOW = re.compile(r"^assert 202 == 201\b")
# not run: it fails the same way with the stock spawner when the tests run as root (CI
# does), because it starts jupyterhub-singleuser without --allow-root and waits 30 s
NOT_RUN = ["test_spawner.py::test_single_user_spawner"] if os.geteuid() == 0 else []


def run_peer_suite(tmp_path: Path, *, with_hubtypes: bool) -> dict[str, str]:
    """Outcome per test id of the runs in :data:`RUNS`: 'passed', 'failed', 'skipped', or
    'slow' (see :data:`SLOW`)."""
    suite = Path(__import__("jupyterhub.tests").tests.__file__).parent
    path = os.pathsep.join([str(PEER), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    running = []
    for i, (modules, keyword) in enumerate(RUNS):
        report = tmp_path / f"peer-{i}.xml"
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if with_hubtypes:
            args += ["-p", "hubtypes_peer"]
        args += ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=module",
                 "-o", "asyncio_default_test_loop_scope=module", f"--junitxml={report}",
                 f"--rootdir={suite}", *(f"--deselect={n}" for n in NOT_RUN),
                 *(["-k", keyword] if keyword else []),
                 *(str(suite / f"{m}.py") for m in modules)]  # fmt: skip
        # each run in its own directory: MockHub writes its proxy's pid file there
        cwd = tmp_path / f"run-{i}"
        cwd.mkdir()
        log = (tmp_path / f"peer-{i}.log").open("w")
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=log)
        running.append((process, report, log))
    outcomes: dict[str, str] = {}
    for process, report, log in running:
        process.wait(timeout=900)
        log.close()
        outcomes.update(junit_outcomes(report.read_text()))
    return outcomes


def junit_outcomes(xml: str) -> dict[str, str]:
    """Outcome per test id (``module::name``) in a pytest JUnit XML report."""
    outcomes: dict[str, str] = {}
    for case in ET.fromstring(xml).iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]  # e.g. "test_spawner"
        test_id = f"{module}::{case.get('name')}"
        failure = case.find("failure")
        if failure is not None and SLOW.match(failure.get("message", "")):
            outcomes[test_id] = "slow"
        elif failure is not None or case.find("error") is not None:
            outcomes[test_id] = "failed"
        elif case.find("skipped") is not None:
            outcomes[test_id] = "skipped"
        else:
            outcomes[test_id] = "passed"
    return outcomes


def test_only_a_spawn_still_starting_counts_as_slow() -> None:
    """A JUnit report as pytest writes it: a spawn answered 202 is slow; every other
    failure or error stays a failure."""
    case = '<testcase classname="jupyterhub.tests.test_named_servers" name="{}">{}</testcase>'
    slow = '<failure message="assert 202 == 201&#10; +  where 202 = &lt;Response [202]&gt;">'
    xml = "<testsuites><testsuite>" + "".join(case.format(n, body) for n, body in [
        ("test_named_server_limit", slow + "...</failure>"),
        ("test_other_status", '<failure message="assert 400 == 201">...</failure>'),
        ("test_state", '<failure message="AssertionError: assert {} == {}">x</failure>'),
        ("test_setup", '<error message="failed on setup">x</error>'),
        ("test_ok", ""),
        ("test_skip", '<skipped message="no"/>'),
    ]) + "</testsuite></testsuites>"  # fmt: skip
    assert junit_outcomes(xml) == {
        "test_named_servers::test_named_server_limit": "slow",
        "test_named_servers::test_other_status": "failed",
        "test_named_servers::test_state": "failed",
        "test_named_servers::test_setup": "failed",
        "test_named_servers::test_ok": "passed",
        "test_named_servers::test_skip": "skipped",
    }


@pytest.mark.hub
def test_jupyterhubs_own_spawner_tests_pass_with_hubtypes_spawners(tmp_path: Path) -> None:
    outcomes = run_peer_suite(tmp_path, with_hubtypes=True)
    failed = {t for t, o in outcomes.items() if o == "failed"}
    passed = sum(1 for o in outcomes.values() if o == "passed")
    print(f"JupyterHub's spawner tests with hubtypes: {passed} passed, {len(failed)} failed")
    assert passed >= 70, outcomes  # 83 of these tests on 5.5.1, 110 on 6.1.1
    print(f"either outcome accepted: { {t: outcomes.get(t) for t in EITHER} }")
    slow = sorted(t for t, o in outcomes.items() if o == "slow")
    print(f"spawns answered 202 (still starting) on this machine: {slow}")
    unexpected = sorted(failed - set(EXCUSED) - set(EITHER))
    # pytest's summary lines from the runs' logs: the reason, in CI's output too
    summary = [line for log in sorted(tmp_path.glob("peer-*.log"))
               for line in log.read_text(errors="replace").splitlines()
               if line.startswith(("FAILED", "ERROR"))]  # fmt: skip
    assert unexpected == [], f"failures not excused: {unexpected}\n" + "\n".join(summary)
    fixed = sorted(t for t in EXCUSED if outcomes.get(t) == "passed")
    assert fixed == [], f"excused but passing now, drop them from EXCUSED: {fixed}"
