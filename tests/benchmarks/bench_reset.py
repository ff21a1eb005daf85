"""Reset a workshop of N participants (all logged in once, S with running servers).

Side by side in one run, on one real hub: the workshop service's reset, and the
route an admin has today: stopping servers and deleting users one at a time through
the REST API. Reports wall time and the hub CPU seconds each causes (from
/proc/<pid>/stat). Goal: the service's wall time within 1.3x the hub CPU it causes.
The service's reset stops the doomed servers at once (the spawner mixin's ``now=True``:
their accounts are being reset) and paces deletions to the hub's answers; the
one-at-a-time route stops each server gently, as the hub does for any stop. Also counts
the hub's "Event loop was unresponsive" warnings during each. Prints one JSON line.
Also where the machine's CPU went during each: the CPU of everything but the hub (the
servers shutting down, the service, the proxy), the machine's busy time per second of wall
(2.0: both cores were busy all along), and its I/O wait (``/proc/stat``): the hub's
SQLite commits wait for the disk inside its event loop, which is wall time and not CPU; run with
``TMPDIR=/dev/shm`` to put the hub's database (and the homes) on tmpfs and see the
difference. ``--service-only`` skips the one-at-a-time route.
``--kube``: the mixin on KubeSpawner instead, against the kmock Kubernetes emulator in a
process of its own (``tests/kmock_cluster.py``: a stand-in kubelet turns pods Running, and one
small HTTP server answers for every single-user server), so what is measured is the hub's
side of a reset on Kubernetes: pods deleted with no grace period, persistent volume
claims deleted, users deleted. The emulator's CPU counts among the others'.
Run: python tests/benchmarks/bench_reset.py [N] [S] [--service-only] [--kube]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from _svc import cpu_seconds, hub_cpu_seconds, start
from kubehub import KubeCluster, kube_cluster

UNRESPONSIVE = "Event loop was unresponsive"


def setup(sh, slug: str, n: int, servers: int) -> list[str]:
    body = {"slug": slug, "starts": "+0s", "ends": "+1d", "delete_after": "+2d"}
    assert sh.call("POST", "workshops", json=body).status_code == 201
    names = [c["username"] for c in sh.call(
        "POST", f"workshops/{slug}/accounts", json={"count": n}).json()["credentials"]]  # fmt: skip
    # every participant has logged in once: the hub has the user, in the workshop group
    for i in range(0, n, 100):
        r = sh.hub.api("POST", "/users", json={"usernames": names[i : i + 100]}, timeout=120)
        assert r.status_code == 201, r.text
    sh.call("POST", "lifecycle")  # makes the groups
    sh.hub.api("POST", f"/groups/workshop-{slug}/users", json={"users": names}, timeout=120)
    # set-up: one spawn at a time (concurrent spawns of real servers time out on 2 cores)
    for name in names[:servers]:
        r = sh.hub.api("POST", f"/users/{name}/server", timeout=120)
        assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        active = sh.hub.api("GET", "/users?state=ready&limit=200").json()
        if len([u for u in active if u["name"] in names]) >= servers:
            return names
        time.sleep(1)
    raise RuntimeError("servers did not start")


def snapshot(hub, emulator_pid: int | None = None) -> dict[str, float]:
    """CPU seconds so far: the hub's own, and the whole machine's busy and I/O-wait time
    summed over its CPUs (``/proc/<pid>/stat``, ``/proc/stat``); with ``emulator_pid``,
    the Kubernetes emulator's too (it is one of the others)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq = map(int, f.readline().split()[1:8])
    out = {
        "hub_cpu_s": hub_cpu_seconds(hub),
        "machine_busy_s": (user + nice + system + irq + softirq) / ticks,
        "machine_iowait_s": iowait / ticks,
    }
    if emulator_pid is not None:
        out["emulator_cpu_s"] = cpu_seconds(emulator_pid)
    return out


def measured(
    before: dict[str, float], hub, wall: float, emulator_pid: int | None = None
) -> dict[str, float]:
    after = snapshot(hub, emulator_pid)
    out = {"wall_s": round(wall, 2)}
    out.update({k: round(after[k] - before[k], 2) for k in before})
    out["wall_over_cpu"] = round(wall / out["hub_cpu_s"], 2)
    # everything else: the servers shutting down, the service, the proxy, this script
    out["others_cpu_s"] = round(out["machine_busy_s"] - out["hub_cpu_s"], 2)
    # 2 cores busy all along would be 2.0: the machine, not the hub, was the limit
    out["machine_busy_per_wall_s"] = round(out["machine_busy_s"] / wall, 2)
    return out


def wait_stopped(sh, name: str) -> None:
    while sh.hub.api("GET", f"/users/{name}").json().get("servers"):
        time.sleep(0.05)


def main(n: int = 500, servers: int = 50, service_only: bool = False, kube: bool = False) -> None:
    if kube:
        with kube_cluster() as cluster:
            spawner = "hubtypes-kube (the mixin on KubeSpawner), against the kmock emulator"
            started = start(hubtypes_spawner=False, extra_config=cluster.hub_config)
            run(n, servers, service_only, started, spawner, cluster)
    else:
        run(n, servers, service_only, start(),
            "hubtypes-simple (the mixin on SimpleLocalProcessSpawner)")  # fmt: skip


def kube_after(cluster: KubeCluster | None, deletions_before: dict[str, int]) -> dict:
    """Pods and claims still in the emulator (none, once the users are gone), and the pod
    deletions of this phase (server pods by grace period, and finished cleanup pods)."""
    if cluster is None:
        return {}
    out: dict = {f"{p}_left": len(cluster.names(p)) for p in ("pods", "persistentvolumeclaims")}
    out["pod_deletions"] = cluster.pod_deletions_since(deletions_before)
    return out


def run(n: int, servers: int, service_only: bool, started, spawner: str,
        cluster: KubeCluster | None = None) -> None:  # fmt: skip
    sh, hub = started
    emulator_pid = cluster.pid if cluster else None
    deletions_of = cluster.pod_deletions if cluster else dict
    try:
        service_names = setup(sh, "svc", n, servers)
        log0 = len(hub.log_text())
        deletions = deletions_of()
        before, t0 = snapshot(hub, emulator_pid), time.perf_counter()
        r = sh.call("POST", "workshops/svc/reset", json={"confirm": "svc"})
        assert r.status_code == 202, r.text
        while sh.call("GET", "workshops/svc/reset").json()["state"] == "running":
            time.sleep(0.1)
        service = measured(before, hub, time.perf_counter() - t0, emulator_pid)
        assert sh.call("GET", "workshops/svc/reset").json()["state"] == "done"
        service["unresponsive_warnings"] = hub.log_text()[log0:].count(UNRESPONSIVE)
        service.update(kube_after(cluster, deletions))
        result = {
            "benchmark": "reset",
            "participants": n,
            "running_servers": servers,
            "spawner": spawner,
            "tmpdir": tempfile.gettempdir(),
            "service": service,
            "goal_wall_over_cpu": 1.3,
        }  # fmt: skip
        if service_only:
            print(json.dumps({**result, "load_average": os.getloadavg()[0]}))
            return

        names = setup(sh, "manual", n, servers)
        log0 = len(hub.log_text())
        deletions = deletions_of()
        before, t0 = snapshot(hub, emulator_pid), time.perf_counter()
        for name in names:  # what an admin scripts today: one user at a time
            if name in names[:servers]:
                sh.hub.api("DELETE", f"/users/{name}/server")
                wait_stopped(sh, name)
            assert sh.hub.api("DELETE", f"/users/{name}").status_code == 204
        manual = measured(before, hub, time.perf_counter() - t0, emulator_pid)
        manual["unresponsive_warnings"] = hub.log_text()[log0:].count(UNRESPONSIVE)
        manual.update(kube_after(cluster, deletions))
        left = {u["name"] for u in sh.hub.api("GET", "/users?limit=200").json()}
        assert not left & (set(service_names) | set(names))
        print(json.dumps({
            **result,
            "one_at_a_time": manual,
            "load_average": os.getloadavg()[0],
        }))  # fmt: skip
    finally:
        hub.stop()


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if not a.startswith("--")]
    main(*numbers[:2], service_only="--service-only" in sys.argv, kube="--kube" in sys.argv)
