"""A real hub with KubeSpawner (hubtypes' mixin on it) against the kmock Kubernetes
emulator, which runs in a process of its own (``kmock_cluster.py``: what it mocks and
why). Used by the real-hub Kubernetes tests and ``benchmarks/bench_reset.py --kube``."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

NAMESPACE = "hubtypes"
HUB_CONFIG = """
import os
os.environ["KUBECONFIG"] = {kubeconfig!r}
# kubernetes_asyncio reads $KUBECONFIG once, at import: the hub imported it (loading its
# spawner entry points) before it read this file
from kubernetes_asyncio.config import kube_config
kube_config.KUBE_CONFIG_DEFAULT_LOCATION = {kubeconfig!r}
c.JupyterHub.spawner_class = "hubtypes-kube"
c.KubeSpawner.namespace = {namespace!r}
c.KubeSpawner.port = {server_port}
c.KubeSpawner.cmd = ["jupyterhub-singleuser"]  # the image's; nothing runs it here
c.KubeSpawner.storage_pvc_ensure = True
c.KubeSpawner.storage_capacity = "1Gi"
c.HubTypesKubeSpawner.kube_shared_volume = {{"persistentVolumeClaim": {{"claimName": "nfs"}}}}
"""
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{url}"}}}}]
users: [{{name: u, user: {{token: dummy}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u, namespace: {namespace}}}}}]
current-context: x
"""


@dataclass
class KubeCluster:
    api: str  # the emulator's URL
    server_port: int  # the stand-in single-user server's
    pid: int  # the emulator's process
    hub_config: str  # lines for a hub's jupyterhub_config.py

    def names(self, plural: str) -> set[str]:
        """Names of the ``plural`` objects (pods, persistentvolumeclaims) there now."""
        r = requests.get(f"{self.api}/api/v1/namespaces/{NAMESPACE}/{plural}", timeout=30)
        r.raise_for_status()
        return {item["metadata"]["name"] for item in r.json()["items"]}

    def pod(self, name: str) -> dict[str, Any]:
        r = requests.get(f"{self.api}/api/v1/namespaces/{NAMESPACE}/pods/{name}", timeout=30)
        r.raise_for_status()
        return dict(r.json())

    def pod_deletions(self) -> dict[str, int]:
        """Pod deletions so far: server pods by the grace period each asked for, and
        finished cleanup pods."""
        url = f"http://127.0.0.1:{self.server_port}/_kmock/pod-deletions"
        return dict(requests.get(url, timeout=30).json())

    def pod_deletions_since(self, before: dict[str, int]) -> dict[str, int]:
        """The pod deletions since ``before`` (an earlier :meth:`pod_deletions`)."""
        return {k: v - before.get(k, 0) for k, v in self.pod_deletions().items()
                if v > before.get(k, 0)}  # fmt: skip


@contextmanager
def kube_cluster(workdir: Path | None = None) -> Iterator[KubeCluster]:
    """The emulator in its own process, until the block ends."""
    tmp = workdir or Path(tempfile.mkdtemp(prefix="hubtypes-kmock-"))
    tmp.mkdir(parents=True, exist_ok=True)
    info = tmp / "cluster.json"
    script = Path(__file__).with_name("kmock_cluster.py")
    log_path = tmp / "cluster.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, str(script), str(info)], stdout=log,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not info.exists():
                running = process.poll() is None and time.monotonic() < deadline
                assert running, f"the emulator did not start:\n{log_path.read_text()}"
                time.sleep(0.1)
            found = json.loads(info.read_text())
            kubeconfig = tmp / "kubeconfig"
            kubeconfig.write_text(KUBECONFIG.format(url=found["api"], namespace=NAMESPACE))
            config = HUB_CONFIG.format(kubeconfig=str(kubeconfig), namespace=NAMESPACE,
                                       server_port=found["server_port"])  # fmt: skip
            yield KubeCluster(found["api"], found["server_port"], process.pid, config)
        finally:
            # a hub still running holds watches open, which the emulator's server would
            # wait out at shutdown: it gets a moment, then is killed (it keeps no state)
            process.terminate()
            try:
                process.wait(3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
