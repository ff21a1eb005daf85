"""A workshop reset on a real hub whose spawner is hubtypes' KubeSpawner, against the kmock
Kubernetes emulator (``tests/kmock_cluster.py`` says what it mocks: no cluster can run
here, so a stand-in kubelet turns pods Running and one small HTTP server answers for
every single-user server). Real: the hub, its proxy, the workshop service, KubeSpawner
and its reflectors, and every Kubernetes API call they make.

The reset stops the participant's pod at once (grace period 0: its files are about to
go), archives the home by a cleanup pod, deletes the claim and the user; the community
member's pod, claim and account are untouched.
"""

from __future__ import annotations

import time

import pytest
import svchub
from kubehub import KubeCluster, kube_cluster

pytestmark = pytest.mark.hub


def test_reset_on_kubespawner_removes_the_workshop_and_keeps_the_community(
    real_hub_factory, tmp_path
):
    with kube_cluster(tmp_path / "cluster") as cluster:
        # carol is a community member: she logs in some other way, as on a mixed hub
        mixed = "\nc.WorkshopAuthenticator.reject_unknown_users = False\n"
        sh = svchub.start(real_hub_factory, tmp_path, extra_config=cluster.hub_config + mixed)
        try:
            reset_and_check(sh, cluster)
        finally:
            sh.hub.stop()  # while the cluster is still there to stop carol's pod


def reset_and_check(sh: svchub.ServiceHub, cluster: KubeCluster) -> None:
    hub = sh.hub
    body = {"slug": "py", "starts": "+0s", "ends": "+1d", "delete_after": "+2d"}
    assert sh.call("POST", "workshops", json=body).status_code == 201
    r = sh.call("POST", "workshops/py/accounts", json={"count": 2})
    assert r.status_code == 201, r.text
    ann, bob = sorted(c["username"] for c in r.json()["credentials"])
    r = hub.api("POST", "/users", json={"usernames": [ann, bob, "carol"]})
    assert r.status_code == 201, r.text
    for name in (ann, "carol"):
        assert hub.api("POST", f"/users/{name}/server").status_code in (201, 202)
        hub.wait_ready(name)

    assert cluster.names("pods") == {f"jupyter-{ann}", "jupyter-carol"}
    # the participant's home is a claim of the workshop's own, carol keeps KubeSpawner's
    assert cluster.names("persistentvolumeclaims") == {f"hubtypes-py.{ann}", "claim-carol"}
    spec = cluster.pod(f"jupyter-{ann}")["spec"]
    claims = {v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]
              if "persistentVolumeClaim" in v}  # fmt: skip
    assert f"hubtypes-py.{ann}" in claims
    materials = [m for m in spec["containers"][0]["volumeMounts"]
                 if m.get("subPath") == "workshops/py/_materials"]  # fmt: skip
    assert materials and all(m.get("readOnly") for m in materials)

    before = cluster.pod_deletions()
    r = sh.call("POST", "workshops/py/reset", json={"confirm": "py"})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while sh.call("GET", "workshops/py/reset").json()["state"] == "running":
        assert time.monotonic() < deadline, hub.log_tail()
        time.sleep(0.2)
    assert sh.call("GET", "workshops/py/reset").json()["state"] == "done"

    done = cluster.pod_deletions_since(before)
    # ann's server stopped at once, her home archived by one cleanup pod; bob never
    # started a server, so nothing of his was in the cluster
    assert done == {"grace 0 s": 1, "cleanup pods (done)": 1}, done
    assert cluster.names("pods") == {"jupyter-carol"}
    assert cluster.names("persistentvolumeclaims") == {"claim-carol"}
    users = {u["name"] for u in hub.api("GET", "/users").json()}
    assert ann not in users and bob not in users and "carol" in users
    assert hub.api("GET", "/users/carol").json()["servers"][""]["ready"]
    assert "Traceback" not in hub.log_text()
