"""The ``hubtypes`` command run in the test's own process: ``hubtypes.cli.main``, the
function the console script and ``python -m hubtypes.cli`` call.

For tests whose subject is a hub, a service or a page, where the command makes the
workshops and accounts they start from. A subprocess costs about half a second of CPU
(Python, SQLAlchemy and the migrations imported again), the suite ran some 300 of them,
and on two cores that was a minute of the run. The command as a process (its exit codes,
streams and environment) is tested in tests/cli/, which keep running it as one.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import threading

from hubtypes.cli import main

# the command's output is caught by swapping sys.stdout and sys.stderr, which are the
# process's: one command at a time
_one_at_a_time = threading.Lock()


def hubtypes(*args: str) -> subprocess.CompletedProcess[str]:
    """``hubtypes ARGS``: its exit status and what it printed, as ``subprocess.run`` with
    ``capture_output=True, text=True`` gives them."""
    outcome: dict[str, object] = {}

    def command() -> None:
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    outcome["status"] = main(list(args))
                except SystemExit as e:  # argparse's usage errors, as the process exits
                    outcome["status"] = e.code if isinstance(e.code, int) else 2
        except BaseException as e:  # noqa: BLE001 - raised again in the caller's thread
            outcome["error"] = e
        outcome["out"], outcome["err"] = out.getvalue(), err.getvalue()

    # in a thread of its own: no event loop of the test's is running there (the command
    # runs its own for the hub's API), and the command's context variables start fresh
    with _one_at_a_time:
        thread = threading.Thread(target=command, name="hubtypes-cli")
        thread.start()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    status = outcome["status"]
    assert isinstance(status, int)
    return subprocess.CompletedProcess(
        ["hubtypes", *args], status, str(outcome["out"]), str(outcome["err"])
    )


def ok(*args: str) -> str:
    """``hubtypes ARGS``, which must succeed: what it printed."""
    r = hubtypes(*args)
    assert r.returncode == 0, (r.args, r.stdout, r.stderr)
    return r.stdout


def db_upgrade(db_url: str) -> None:
    """hubtypes' database at ``db_url``, created at the newest schema (before a hub and a
    service open it)."""
    ok("db", "upgrade", "--db-url", db_url)
