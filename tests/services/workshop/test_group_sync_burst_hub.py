"""During a login burst the workshop service holds its group writes back, then adds everyone.

A real hub, WorkshopAuthenticator and the workshop service (a pass every 2 s, the default;
``group_sync_burst_delay`` 4 s instead of 30, so that a burst of 8 s outlasts it):
participants log in at about 25 a second (a burst: more than 10 logins within 2 s) while
the workshop group is read. The rule itself is tabled in test_group_sync_plan.py.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import svchub

pytestmark = pytest.mark.hub

RATE, SECONDS, DELAY = 25, 8.0, 4.0
SHORTER_DELAY = f"""
c.JupyterHub.services[-1]["command"] += ["--WorkshopService.group_sync_burst_delay={DELAY}"]
"""


def members(sh: svchub.ServiceHub) -> set[str]:
    r = sh.hub.api("GET", "/groups/workshop-b")  # made by the service's first pass
    return set(r.json()["users"]) if r.status_code == 200 else set()


def test_a_login_burst_gets_its_group_as_logins_come_due_and_when_it_is_over(
    real_hub_factory, tmp_path
):
    sh = svchub.start(real_hub_factory, tmp_path, extra_config=SHORTER_DELAY)
    sh.workshop("b")
    names = sh.accounts("--workshop", "b", "--count", str(int(RATE * SECONDS)))

    start = time.monotonic()
    began: dict[str, float] = {}  # name -> when its login request was sent
    done: list[float] = []

    def login_on_time(i: int, name: str) -> None:
        time.sleep(max(0.0, start + i / RATE - time.monotonic()))
        began[name] = time.monotonic() - start
        sh.login(name)
        done.append(time.monotonic() - start)

    seen: list[tuple[float, set[str]]] = []  # (seconds since the burst began, members)
    with ThreadPoolExecutor(20) as pool:  # a slow answer does not hold the rate back
        futures = [pool.submit(login_on_time, i, n) for i, n in enumerate(names)]
        while not all(f.done() for f in futures):
            group = members(sh)
            seen.append((time.monotonic() - start, group))
            time.sleep(0.25)
        for f in futures:
            f.result()
    ended = time.monotonic() - start
    # the burst really was one, as the service counts it: more than 10 logins within every
    # 2 s of it (25 a second were sent; on a loaded machine the hub answers fewer)
    per_window = [sum(1 for t in done if s <= t < s + 2) for s in range(0, int(SECONDS) - 1)]
    assert all(n > 10 for n in per_window), f"logins per 2 s: {per_window}"

    # during the burst nobody was added before their login was DELAY s old (without the
    # hold, the first logins are added 2-4 s after them, at the first pass once settled)...
    early = [(t, m) for t, group in seen for m in group if began[m] > t - DELAY]
    assert not early, early
    # ...but those that came due were added while it went on, not all at its end
    assert any(group for t, group in seen if t < ended - 1), seen
    # once it is over: everyone, within the 2 s the last logins settle plus a pass
    svchub.wait_for(lambda: members(sh) == set(names), 15, "everyone in workshop-b")
    took = time.monotonic() - start - ended
    assert "Login burst: workshop group additions wait until it is over" in sh.hub.log_text()
    print(f"burst of {len(names)} logins over {ended:.1f} s; group complete {took:.1f} s after")
