"""``--cpu-report DIR``: the CPU each test file cost, printed before ``--durations``' list.

The suite is bound by the CPU of a 2-core machine (its hubs, services, servers and
browsers), so the slowest tests by wall time are not always the costly ones: a test that
waits 30 s for an idle timeout costs little. Each test's CPU is read with ``getrusage``:
the worker's own, and its subprocesses' once reaped (hubs, services and the commands a test
runs; a hub reaps the servers it spawned). A module-scoped hub is counted in the test that
stops it. Workers append a line per test to ``DIR/<worker>.jsonl``; the controlling process
sums them per file. `.ci/run` turns it on.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

SHOWN = 15


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cpu-report",
        metavar="DIR",
        default=None,
        help="record each test's CPU (its own and its reaped subprocesses') in DIR and "
        f"print the {SHOWN} test files that cost the most",
    )


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    directory = item.config.getoption("cpu_report")
    if not directory:
        return (yield)
    cpu, wall = _cpu(), time.monotonic()
    try:
        return (yield)
    finally:
        row = {"test": item.nodeid, "cpu": _cpu() - cpu, "wall": time.monotonic() - wall}
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        Path(directory).mkdir(parents=True, exist_ok=True)
        with open(Path(directory) / f"{worker}.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    directory = config.getoption("cpu_report")
    if not directory or hasattr(config, "workerinput"):  # the controlling process only
        return
    per_file: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path in sorted(Path(directory).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            totals = per_file[row["test"].split("::", 1)[0]]
            totals[0] += row["cpu"]
            totals[1] += row["wall"]
    if not per_file:
        return
    cpu = sum(t[0] for t in per_file.values())
    wall = sum(t[1] for t in per_file.values())
    terminalreporter.write_sep("=", f"CPU by test file (top {SHOWN})")
    for name, (c, w) in sorted(per_file.items(), key=lambda kv: -kv[1][0])[:SHOWN]:
        terminalreporter.write_line(f"{c:7.1f} s CPU {w:7.1f} s wall  {name}")
    terminalreporter.write_line(f"{cpu:7.1f} s CPU {wall:7.1f} s wall  all {len(per_file)} files")
