"""Sweeps that skip listing the hub's users when nothing can be due, on a real hub.

The culler sweeps every second with a 20 s idle timeout; servers get no traffic, so their
``last_activity`` stays at their start. The hub logs every API request with its token's
owner: the culler's listings are counted there.
"""

from __future__ import annotations

import re
import time

import pytest
from test_culler_hub import make_hub, metrics, start_server, status, sweep_with, wait_for

pytestmark = pytest.mark.hub

TIMEOUT = 20


def listings(log: str) -> int:
    # the hub's log scrubs ``state`` (an OAuth parameter): "users?state=[secret]&offset=0..."
    return len(re.findall(r"\] 200 GET /hub/api/users\?state=\S* \(culler@", log))


def test_quiet_sweeps_skip_the_listing_and_cull_on_time(real_hub_factory, tmp_path):
    hub = make_hub(real_hub_factory, tmp_path, f"--timeout={TIMEOUT} --cull-every=1")
    start_server(hub, "carol")
    # the first sweep lists; the next ones have nothing that can be due
    wait_for(lambda: hub.log_text().count("Sweep skipped: nothing can be due yet") >= 3, 30,
             "skipped sweeps")  # fmt: skip
    before = listings(hub.log_text())
    assert before >= 1
    # a server started after that listing: not in it, and not due before its bound
    time.sleep(3)
    start_server(hub, "bob")
    started_bob = time.monotonic()

    def culled(name: str):
        def check(last):
            return any(a["user"] == name and a["done"] for a in last["actions"])

        return check

    carol = sweep_with(hub, culled("carol"), TIMEOUT + 20, "carol's server to be culled")
    bob = sweep_with(hub, culled("bob"), TIMEOUT + 20, "bob's server to be culled")
    waited = time.monotonic() - started_bob
    for last, name in ((carol, "carol"), (bob, "bob")):
        (action,) = [a for a in last["actions"] if a["user"] == name]
        # culled once idle, and a few (1 s) sweeps after that at most, not a listing
        # bound (20 s) late
        assert TIMEOUT <= action["idle_for"] < TIMEOUT + 10, action
    assert waited >= TIMEOUT - 1
    log = hub.log_text()
    skipped = log.count("Sweep skipped: nothing can be due yet")
    # ~30 one-second ticks, a handful of which listed: the first, the one at its bound
    # (carol and bob started since), and those around each server's due time (the hub's
    # activity of a server can be a little later than its start: listed, not due yet)
    assert skipped >= 10 and skipped > 2 * listings(log), (skipped, listings(log))
    assert listings(log) <= 8, listings(log)
    assert re.search(r'hubtypes_culler_sweeps_total\{outcome="skipped"\} [1-9]', metrics(hub))
    assert "skipped_since" in status(hub)
