"""The cleanup pod: archives and removes a home the hub process cannot see.

On Kubernetes, homes that are subPaths of one shared (NFS) volume are invisible
to the hub and KubeSpawner never deletes them. For those, and for archiving a
PVC home before KubeSpawner deletes the PVC, the hub starts a short-lived pod
that mounts only what it needs:

* the source: the shared volume with ``subPath`` set to the *parent* of the home
  (``workshops/{ws}``), so the pod cannot even see other workshops or community
  homes; or the user's PVC itself;
* optionally the archive volume.

**What it runs.** The hub's own archive and delete code, not a second version of it:
:mod:`hubtypes.fs.cleanup_main` calls :func:`~hubtypes.fs.archive.archive_tree` and
:func:`~hubtypes.fs.safe_delete.safe_delete`, so a home on Kubernetes gets what a local
home gets: ``HubTypesArchiving``'s limits, sparse files by their data, special files
skipped and listed, links never followed, a temporary name then a rename, a manifest.
The image needs no hubtypes, only ``python3`` >= 3.10 (the user's server image by
default): when the manifest is built, the sources of those modules (:data:`SHIPPED`, the
hubtypes modules they import included, which is checked) are read and passed to the
container as one JSON argument, and :data:`BOOTSTRAP`, a few lines given to
``python3 -c``, installs them in ``sys.modules`` under empty stub packages (so nothing
of a hubtypes the image might have is ever used) and calls ``main`` with the args. So
the pod always runs the hub's version, and ``python -m hubtypes.fs.cleanup_main`` with
the same args runs the same program (the tests run the container's exact command).

Slugs are only positional arguments (never interpolated into code); paths and limits
are options. The program writes its report, compact JSON, to the termination message
file; :func:`run_cleanup_pod` reads it from the pod's status, and the caller audits an
incomplete archive. ``terminationMessagePolicy`` is ``FallbackToLogsOnError``: a run
that succeeds always writes the file, and one that fails (a traceback, an unsafe path)
leaves it empty, so Kubernetes keeps the log's tail instead, which the hub's error
then quotes. The pod name is a hash of its job, so re-running a cleanup after a crash
finds the same pod.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import hashlib
import inspect
import json
import logging
from typing import Any

from hubtypes.fs.archive import ArchiveLimits
from hubtypes.fs.cleanup_main import PodReport, describe
from hubtypes.storage.slugs import check_relative

log = logging.getLogger("hubtypes.spawner")

SOURCE = "/storage"
ARCHIVE = "/archive"
TERMINATION_LOG = "/dev/termination-log"  # Kubernetes' default terminationMessagePath
CONTAINER = "cleanup"
# Linux refuses one argument over 128 KiB (MAX_ARG_STRLEN); the program is some 30 KB
MAX_ARG = 120_000
# the pod's program, each after what it imports (the last one's main runs)
SHIPPED = (
    "hubtypes.storage.slugs",
    "hubtypes.fs.safe_delete",
    "hubtypes.fs.archive",
    "hubtypes.fs.cleanup_main",
)

BOOTSTRAP = """\
# hubtypes cleanup pod: argv[1] holds the sources of hubtypes modules; run the last one
import json, sys, types
if sys.version_info < (3, 10):
    sys.exit("hubtypes cleanup: the image needs python3 >= 3.10, not " + sys.version)
shipped = json.loads(sys.argv.pop(1))
for name in shipped["packages"]:  # empty stubs: never a hubtypes installed in the image
    sys.modules[name] = types.ModuleType(name)
    sys.modules[name].__path__ = []
for name, source in shipped["modules"]:
    module = sys.modules[name] = types.ModuleType(name)
    exec(compile(source, name.replace(".", "/") + ".py", "exec"), module.__dict__)
sys.exit(module.main(sys.argv[1:]))
"""


@functools.cache
def shipped_program() -> str:
    """The JSON argument BOOTSTRAP reads: the sources of :data:`SHIPPED`, in order.

    Refuses a shipped module that imports a hubtypes module not shipped before it (it
    would fail in the pod, not here).
    """
    import importlib

    modules = []
    for i, name in enumerate(SHIPPED):
        source = inspect.getsource(importlib.import_module(name))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise RuntimeError(f"{name}: a relative import cannot be shipped")
            imported = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            for dep in imported:
                if dep.split(".")[0] == "hubtypes" and dep not in SHIPPED[:i]:
                    raise RuntimeError(f"{name} imports {dep}, not shipped before it")
        modules.append([name, source])
    packages = sorted({n.rsplit(".", i)[0] for n in SHIPPED for i in range(1, n.count(".") + 1)})
    program = json.dumps({"packages": packages, "modules": modules}, separators=(",", ":"))
    if len(program) > MAX_ARG:
        raise RuntimeError(f"the cleanup program is {len(program)} characters, over {MAX_ARG}")
    return program


def cleanup_pod_name(job: str) -> str:
    return "hubtypes-cleanup-" + hashlib.sha256(job.encode()).hexdigest()[:16]


def cleanup_pod_manifest(
    *,
    namespace: str,
    image: str,
    source_volume: dict[str, Any],
    home: str,
    from_pvc: bool,
    delete: bool,
    archive_volume: dict[str, Any] | None = None,
    archive_subpath: str = "",
    archive_dir: str = "",
    archive_name: str = "",
    deadline_seconds: int = 3600,
    limits: ArchiveLimits | None = None,
    report_path: str = TERMINATION_LOG,
    image_pull_policy: str | None = None,
    image_pull_secrets: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The pod that archives (if ``archive_name``) and deletes (if ``delete``) ``home``.

    ``home`` is the home's path relative to the storage root. With ``from_pvc``
    ``source_volume`` is the user's own PVC, mounted at ``/storage/{user}``;
    otherwise it is the shared volume, mounted with subPath = the home's parent.
    """
    check_relative(home)
    limits = limits or ArchiveLimits()
    parent, _, user = home.rpartition("/")
    if from_pvc:
        source_mount: dict[str, Any] = {"name": "source", "mountPath": f"{SOURCE}/{user}"}
    else:
        source_mount = {"name": "source", "mountPath": SOURCE, "subPath": parent}
    volumes = [{"name": "source", **source_volume}]
    mounts = [source_mount]
    if archive_name:
        if archive_volume is None:
            raise ValueError("an archive needs an archive volume")
        volumes.append({"name": "archive", **archive_volume})
        archive_mount: dict[str, Any] = {"name": "archive", "mountPath": ARCHIVE}
        if archive_subpath:
            archive_mount["subPath"] = archive_subpath
        mounts.append(archive_mount)
    mode = "delete" if delete else "keep"
    # the job, not its time stamp: a retry after a timeout (a new stamp) finds the pod
    # still running from the first attempt and waits for it, never archiving twice
    job = f"{namespace}/{home}/{'archive' if archive_name else 'no-archive'}/{mode}"
    options = {
        "--storage": SOURCE,
        "--archive": ARCHIVE,
        "--report": report_path,
        "--max-bytes": str(limits.max_bytes),
        "--max-files": str(limits.max_files),
        "--max-seconds": repr(float(limits.max_seconds)),
    }
    flags = [x for pair in options.items() for x in pair]
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": image,
        "command": ["python3", "-c", BOOTSTRAP, shipped_program()],
        # slugs only after "--": positional, never read as options, never in code
        "args": [*flags, "--", user, archive_dir, archive_name, mode],
        "terminationMessagePath": report_path,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": mounts,
        # the manifest keeps one entry per archived file until it is written:
        # max_files' default, 200,000, is some 150 MB in Python
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"memory": "512Mi"},
        },
    }
    if image_pull_policy:
        container["imagePullPolicy"] = image_pull_policy
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "activeDeadlineSeconds": deadline_seconds,
        "automountServiceAccountToken": False,
        # root: participants' files may belong to any uid on a shared volume
        "securityContext": {"runAsUser": 0, "runAsGroup": 0},
        "containers": [container],
        "volumes": volumes,
    }
    if image_pull_secrets:
        spec["imagePullSecrets"] = image_pull_secrets
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": cleanup_pod_name(job),
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": "hubtypes",
                "app.kubernetes.io/component": "cleanup",
            },
            "annotations": {"hubtypes/home": home, "hubtypes/mode": mode},
        },
        "spec": spec,
    }


def terminated_message(pod: Any) -> str | None:
    """The cleanup container's termination message, None if it has not terminated."""
    status = getattr(pod, "status", None)
    for container in getattr(status, "container_statuses", None) or []:
        state = container.state
        if container.name == CONTAINER and state is not None and state.terminated is not None:
            return str(state.terminated.message or "")
    return None


def read_report(pod: Any, where: str) -> PodReport | None:
    """The report in a succeeded pod's status; None (said at WARNING) if it has none."""
    message = terminated_message(pod)
    try:
        if not message:
            raise ValueError("no termination message")
        report = PodReport.from_json(message)
    except (ValueError, TypeError) as e:
        log.warning(
            f"hubtypes: cleanup pod {where} succeeded without a readable report ({e}; "
            f"message {(message or '')[:200]!r}); whether its archive is complete is unknown"
        )
        return None
    log.info(f"{describe(report)} (cleanup pod {where})")
    return report


async def run_cleanup_pod(
    api: Any, manifest: dict[str, Any], *, timeout: float, poll: float = 1.0
) -> PodReport | None:
    """Create the pod (or find it from an earlier attempt), wait for it to succeed,
    read its report, then delete it. Raises RuntimeError if it fails or does not
    finish in time, so the caller leaves the user in place to be retried. Returns the
    report, or None if the pod left none readable (the deletion still stands)."""
    from kubernetes_asyncio.client.rest import ApiException

    name = manifest["metadata"]["name"]
    namespace = manifest["metadata"]["namespace"]
    try:
        await api.create_namespaced_pod(namespace=namespace, body=manifest)
    except ApiException as e:
        if e.status != 409:  # 409: an earlier attempt's pod; wait for that one
            raise
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    phase = ""
    pod = None
    while loop.time() < deadline:
        pod = await api.read_namespaced_pod(name=name, namespace=namespace)
        phase = (pod.status.phase if pod.status else None) or ""
        if phase in ("Succeeded", "Failed"):
            break
        await asyncio.sleep(poll)
    if phase != "Succeeded":
        why = terminated_message(pod)  # on failure: the log's tail (FallbackToLogsOnError)
        raise RuntimeError(
            f"cleanup pod {namespace}/{name} ended as {phase or 'not finished'}"
            + (f" ({why[-1000:].strip()})" if why else "")
            + "; the storage was not removed and the pod is left for inspection"
        )
    report = read_report(pod, f"{namespace}/{name}")
    await api.delete_namespaced_pod(name=name, namespace=namespace)
    return report


__all__ = [
    "BOOTSTRAP",
    "SHIPPED",
    "cleanup_pod_manifest",
    "cleanup_pod_name",
    "read_report",
    "run_cleanup_pod",
    "shipped_program",
]
