"""``hubtypes demo``: a complete community, workshop or binder hub on 127.0.0.1, to try out.

Everything lives in one state directory: both SQLite databases, the hub's config and log,
and the users' homes. What each hub type runs is in :mod:`hubtypes.cli.demo_hubs`; this
module starts and stops it:

- it refuses to start when the state directory is in use (another demo holds its lock, or
  a hub an earlier demo started still runs) or when any of its ports is taken, naming it;
- Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal closed) stop the hub, which stops its
  proxy and servers; the hub also gets SIGTERM if this process dies without stopping it
  (Linux's parent-death signal), and whatever a hub killed after 20 s left is killed too.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from hubtypes._extras import INSTALL_HINT
from hubtypes.cli.chp import CHP_INSTALL_HINT, find_configurable_http_proxy
from hubtypes.cli.demo_hubs import TYPES, Ports, make_hub
from hubtypes.cli.errors import CliError
from hubtypes.errors import InputError

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
NOT_ISOLATED = (
    "This is a demo: every server runs as you on this machine, with no isolation between "
    "users; do not open it to other people."
)


class _Stop(Exception):
    """A stop signal arrived (raised from the signal handler, in the main thread)."""


def _on_signal(signum: int, _frame: Any) -> None:
    raise _Stop(signal.Signals(signum).name)


def _say(*lines: str, file: IO[str] | None = None) -> None:
    """Print, unless the terminal is gone (after SIGHUP a write fails with EIO)."""
    with contextlib.suppress(OSError, ValueError):
        print(*lines, sep="\n", file=file or sys.stdout, flush=True)


def default_state_dir(hub_type: str) -> str:
    return "hubtypes-demo" if hub_type == "workshop" else f"hubtypes-demo-{hub_type}"


def check_ports_free(ports: Ports) -> None:
    """CliError naming the first port something listens on (binding as a server would:
    SO_REUSEADDR, so a port with connections only in TIME_WAIT counts as free)."""
    for port, what in ports.named():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                raise InputError(
                    "port",
                    f"port {port} ({what}) is in use: stop what listens there, or move every "
                    f"port of the demo with --port (it uses --port, +1, +2, +3 and +81)",
                ) from None


@contextlib.contextmanager
def state_lock(state: Path, hub_type: str) -> Iterator[None]:
    """Hold ``state/demo.lock`` while the demo runs; CliError if the directory is in use."""
    marker = state / "demo-type"
    if marker.exists() and marker.read_text().strip() != hub_type:
        raise InputError(
            "state_dir",
            f"{state} holds a {marker.read_text().strip()} demo, not a {hub_type} one: "
            f"pick another --state-dir (e.g. {default_state_dir(hub_type)}) or delete it",
        )
    lock = (state / "demo.lock").open("a+")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            raise InputError(
                "state_dir",
                f"{state} is in use by another `hubtypes demo` (pid {holder}): stop it, or "
                "pick another --state-dir",
            ) from None
        hub_pid = _live_pid(state / "jupyterhub.pid", b"jupyterhub")
        if hub_pid:
            raise InputError(
                "state_dir",
                f"a hub started from {state} still runs (pid {hub_pid}): stop it "
                f"(kill {hub_pid}), or pick another --state-dir",
            )
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        marker.write_text(hub_type + "\n")
        yield
    finally:
        lock.close()  # releases the lock


def _live_pid(pid_file: Path, needle: bytes) -> int | None:
    """The pid in ``pid_file`` if that process runs and its command line holds ``needle``."""
    try:
        pid = int(pid_file.read_text().strip())
        return pid if needle in Path(f"/proc/{pid}/cmdline").read_bytes() else None
    except (OSError, ValueError):
        return None


def _die_with_parent() -> None:
    """In the hub's process, before exec: SIGTERM it when the demo dies (Linux only)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise CliError(f"the hub exited with status {process.returncode}; its log:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}hub/api/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise CliError(f"the hub did not answer within {timeout:.0f} s; see {log}")


def run_demo(args: argparse.Namespace) -> int:
    hub_type = args.type
    if hub_type not in TYPES:
        raise InputError("type", f"give one of {', '.join(TYPES)}, not {hub_type!r}")
    if not 1 <= args.participants <= 100:
        raise InputError("participants", "give 1 to 100")
    ports = Ports.from_base(args.port)
    chp = find_configurable_http_proxy()
    if chp is None:
        raise CliError(f"configurable-http-proxy was not found. {CHP_INSTALL_HINT}")
    needs = [("jupyterlab", "the single-user servers will have no user interface")]
    if hub_type == "binder":
        needs.append(("nbgitpuller", "links that pull a git repository will not work"))
        if importlib.util.find_spec("tmpauthenticator") is None:
            raise CliError("a binder hub needs jupyterhub-tmpauthenticator: "
                           + INSTALL_HINT.format(extra="demo"))  # fmt: skip
    for module, without in needs:
        if importlib.util.find_spec(module) is None:
            _say(f"warning: {module} is not installed, so {without}: "
                 + INSTALL_HINT.format(extra="demo"), file=sys.stderr)  # fmt: skip
    state = Path(args.state_dir or default_state_dir(hub_type)).resolve()
    state.mkdir(parents=True, exist_ok=True)
    with state_lock(state, hub_type):
        check_ports_free(ports)
        demo = make_hub(hub_type, state, ports, chp, participants=args.participants)
        config = state / "jupyterhub_config.py"
        config.write_text(demo.config)
        return _run_hub(state, config, ports, demo.env, demo.lines)


def _run_hub(state: Path, config: Path, ports: Ports, env: dict[str, str],
             lines: list[str]) -> int:  # fmt: skip
    log = state / "jupyterhub.log"
    url = f"http://127.0.0.1:{ports.public}/"
    previous = {s: signal.signal(s, _on_signal) for s in STOP_SIGNALS}
    hub: subprocess.Popen[bytes] | None = None
    try:
        _say(f"Starting the demo hub in {state} (log: {log}) ...")
        with log.open("ab") as log_file:
            hub = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                cwd=state,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # signals reach us; we stop the hub in order
                preexec_fn=_die_with_parent,
                env={**os.environ, **env},
            )
        _wait_ready(url, hub, log)
        _say(*lines)
        _say(
            "\nThe command line, on this demo's database:",
            f"  export HUBTYPES_DB_URL={env['HUBTYPES_DB_URL']}",
            NOT_ISOLATED,
            "Press Ctrl-C to stop.",
        )
        hub.wait()
        _say(f"the hub exited with status {hub.returncode}; see {log}", file=sys.stderr)
        return 1
    except _Stop as e:
        _say(f"\nStopping the demo hub ({e}) ...")
        return 0
    finally:
        for s in STOP_SIGNALS:  # a second signal must not cut the stop short
            signal.signal(s, signal.SIG_IGN)
        try:
            if hub is not None:
                _stop(hub, state, ports)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def _stop(hub: subprocess.Popen, state: Path, ports: Ports) -> None:
    """SIGTERM lets the hub stop its proxy and servers; if it hangs, SIGKILL it and end
    what it started (the proxy by its pid file, servers by the hub API URL they were given)."""
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub.pid, signal.SIGKILL)
            hub.wait()
    proxy = _live_pid(state / "jupyterhub-proxy.pid", b"configurable-http-proxy")
    pids = [proxy] if proxy else []
    marker = f"JUPYTERHUB_API_URL=http://127.0.0.1:{ports.hub}/".encode()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(entry) != os.getpid() and any(v.startswith(marker) for v in environ):
            pids.append(int(entry))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
