"""Shared set-up of the workshop-service benchmarks: a real hub with the service."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS)]

import svchub  # noqa: E402
from realhub import RealHub  # noqa: E402

from hubtypes.cli.chp import find_configurable_http_proxy  # noqa: E402


def start(**kw) -> tuple[svchub.ServiceHub, RealHub]:
    tmp = Path(tempfile.mkdtemp(prefix="hubtypes-bench-"))
    chp = find_configurable_http_proxy()
    assert chp, "configurable-http-proxy is missing"
    hubs: list[RealHub] = []

    def factory(config: str) -> RealHub:
        hub = RealHub(tmp / "hub", config, chp=chp, debug=False)
        hubs.append(hub)
        hub.start()
        return hub

    kw.setdefault("lab", True)  # single-user servers as deployed, JupyterLab included
    kw.setdefault("hubtypes_spawner", True)  # the mixin: a reset's stops are at once
    return svchub.start(factory, tmp, **kw), hubs[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid``, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def hub_cpu_seconds(hub: RealHub) -> float:
    """User + system CPU time of the hub process."""
    assert hub._process is not None
    return cpu_seconds(hub._process.pid)
