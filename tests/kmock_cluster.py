"""A Kubernetes API on loopback for a real hub with KubeSpawner: kmock's emulator, plus
what a hub needs of a cluster that the emulator (kmock 0.8) does not do by itself.

Mocked, because no Kubernetes can run on this machine: there are no nodes, so a small
"kubelet" here plays their part, through the API (so watchers see each change):

- a new server pod turns Running, with pod IP 127.0.0.1 and its container ready;
- a new hubtypes cleanup pod turns Succeeded, with a report as its termination message
  (hubtypes' own ``PodReport``: the home existed and was deleted);
- one small HTTP server stands in for every single-user server: the hub checks that each
  server answers before it calls it started, and adds its proxy route. It also serves
  ``/_kmock/pod-deletions``: how many pod deletions asked for which grace period.

Gaps of the emulator are closed, as a real API server behaves:

- an object created in a namespace carries ``metadata.namespace`` (KubeSpawner's
  reflector keys pods by it: ``KeyError: 'namespace'`` otherwise), a ``uid``, a
  ``creationTimestamp`` and a ``resourceVersion`` (new at every change: the reflector
  resumes its watch from it), and a new pod is ``Pending``;
- ``watch=True`` (how kubernetes_asyncio spells the query) starts a watch, as
  ``watch=true`` does (otherwise the reflector gets a list where it expects a stream).

Run: ``python kmock_cluster.py INFO_FILE``: writes ``{"api": URL, "server_port": PORT}``
to INFO_FILE once both listen, then serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import os
import signal
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

import aiohttp
import jupyterhub
import kmock
from aiohttp import web
from kmock._internal import parsing  # the emulator's request classifier (see below)

from hubtypes.fs.cleanup_main import PodReport

NAMESPACE = "hubtypes"  # the namespace the hub's KubeSpawner uses (kubehub.py)
RESOURCES = ["v1/pods", "v1/persistentvolumeclaims", "v1/events", "v1/secrets", "v1/services"]
CLEANUP_PREFIX = "hubtypes-cleanup-"

_guess_k8s = parsing.guess_k8s


def _guess_k8s_any_case(k8s: Any, method: Any, query: dict[str, str]) -> Any:
    if str(query.get("watch", "")).lower() == "true":
        query = {**query, "watch": "true"}
    return _guess_k8s(k8s, method, query)


parsing.guess_k8s = _guess_k8s_any_case  # looked up on the module at each request


_versions = itertools.count(1)
# server pod deletions by the grace period they asked for ("none": the pod's default), and
# finished cleanup pods deleted, served at /_kmock/pod-deletions by the stand-in server: a
# reset's stops must ask for 0
pod_deletions: collections.Counter[str] = collections.Counter()


class Cluster(kmock.KubernetesEmulator):
    """The emulator, with the fields an API server sets filled in (see above)."""

    async def _handle(self, request: Any) -> Any:
        data = request.data
        if request.action in (kmock.action.CREATE, kmock.action.UPDATE) and isinstance(data, dict):
            meta = data.setdefault("metadata", {})
            meta["resourceVersion"] = str(next(_versions))
            if request.action == kmock.action.CREATE:
                meta.setdefault("namespace", request.namespace)
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", datetime.now(timezone.utc).isoformat())
                if request.resource is not None and request.resource.plural == "pods":
                    data.setdefault("status", {"phase": "Pending"})
        if request.action == kmock.action.DELETE and request.resource is not None:
            if request.resource.plural == "pods":
                body = data if isinstance(data, dict) else {}
                grace = body.get("gracePeriodSeconds", request.params.get("gracePeriodSeconds"))
                if str(request.name).startswith(CLEANUP_PREFIX):
                    pod_deletions["cleanup pods (done)"] += 1
                else:
                    pod_deletions["none" if grace is None else f"grace {grace} s"] += 1
        try:
            return await super()._handle(request)
        finally:
            self._forget(request)

    def _forget(self, request: Any) -> None:
        """Drop a served request from the emulator's history. kmock keeps every request
        for a test's assertions and matches each new one against the whole history, so a
        reset's few thousand API calls would cost it seconds of CPU, quadratically; the
        hub's requests, not the emulator's bookkeeping, are what is measured here."""
        requests = self._requests
        for i in range(len(requests) - 1, -1, -1):
            if requests[i] is request:  # by identity: a Request's == is a criteria match
                del requests[i]
                return


def running_status(pod: dict[str, Any]) -> dict[str, Any]:
    containers = pod["spec"]["containers"]
    return {
        "phase": "Running",
        "podIP": "127.0.0.1",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [
            {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
             "restartCount": 0, "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}
            for c in containers
        ],
    }  # fmt: skip


def succeeded_status(pod: dict[str, Any]) -> dict[str, Any]:
    report = PodReport(home=pod["metadata"]["name"], existed=True, deleted=True)
    container = pod["spec"]["containers"][0]
    terminated = {"exitCode": 0, "reason": "Completed", "message": report.to_json()}
    return {
        "phase": "Succeeded",
        "containerStatuses": [
            {"name": container["name"], "image": container.get("image", ""), "imageID": "",
             "ready": False, "restartCount": 0, "state": {"terminated": terminated}}
        ],
    }  # fmt: skip


async def kubelet(api: str) -> None:
    """Watch pods; give each new one the status a node would."""
    pods = f"{api}/api/v1/namespaces/{NAMESPACE}/pods"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as s:
        while True:
            async with s.get(pods, params={"watch": "true"}) as r:
                async for line in r.content:
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    pod = event.get("object") or {}
                    phase = (pod.get("status") or {}).get("phase")
                    if event.get("type") != "ADDED" or phase not in (None, "Pending"):
                        continue
                    name = pod["metadata"]["name"]
                    made = succeeded_status if name.startswith(CLEANUP_PREFIX) else running_status
                    patch = {"status": made(pod)}
                    async with s.patch(f"{pods}/{name}", json=patch) as answer:
                        answer.raise_for_status()


async def single_user_stand_in() -> web.AppRunner:
    """Answers 200 at every path, as a single-user server's own pages would."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response({}, headers={"X-JupyterHub-Version": jupyterhub.__version__})

    async def deletions(request: web.Request) -> web.Response:
        return web.json_response(dict(pod_deletions))

    app = web.Application()
    app.router.add_get("/_kmock/pod-deletions", deletions)
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    return runner


async def main(info_file: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = await single_user_stand_in()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with Cluster() as emulator, kmock.Server(emulator):
        for resource in RESOURCES:
            emulator.resources[resource] = {}
        api = str(emulator.url).rstrip("/")
        task = asyncio.create_task(kubelet(api))
        partial = f"{info_file}.partial"  # renamed: a reader never sees half of it
        with open(partial, "w") as f:
            json.dump({"api": api, "server_port": port}, f)
        os.replace(partial, info_file)
        await stop.wait()
        task.cancel()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
