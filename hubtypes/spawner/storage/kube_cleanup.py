"""The cleanup pod: archives and removes a home the hub process cannot see.

On Kubernetes, homes that are subPaths of one shared (NFS) volume are invisible
to the hub and KubeSpawner never deletes them. For those, and for archiving a
PVC home before KubeSpawner deletes the PVC, the hub starts a short-lived pod
that mounts only what it needs:

* the source: the shared volume with ``subPath`` set to the *parent* of the home
  (``workshops/{ws}``), so the pod cannot even see other workshops or community
  homes; or the user's PVC itself;
* optionally the archive volume.

The script only gets slugs as positional arguments (never interpolated into the
script), archives with ``tar`` (which stores symlinks as links), and deletes
with ``rm -rf`` (which removes links, never their targets). The pod name is a
hash of its job, so re-running a cleanup after a crash finds the same pod.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from hubtypes.storage.slugs import check_relative

SOURCE = "/storage"
ARCHIVE = "/archive"

SCRIPT = """set -eu
name="$1"; archive_dir="$2"; archive_name="$3"; mode="$4"
cd /storage
if [ ! -e "$name" ] && [ ! -L "$name" ]; then echo "hubtypes: nothing at $name"; exit 0; fi
if [ -n "$archive_name" ]; then
  out="/archive/$archive_dir/$archive_name"
  mkdir -p "/archive/$archive_dir"
  tar -czf "$out.tar.gz.partial" "$name"
  tar -tvzf "$out.tar.gz.partial" > "$out.manifest.txt"
  mv "$out.tar.gz.partial" "$out.tar.gz"
  echo "hubtypes: archived $name to $out.tar.gz"
fi
if [ "$mode" = delete ]; then rm -rf -- "$name"; echo "hubtypes: deleted $name"; fi
"""


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
) -> dict[str, Any]:
    """The pod that archives (if ``archive_name``) and deletes (if ``delete``) ``home``.

    ``home`` is the home's path relative to the storage root. With ``from_pvc``
    ``source_volume`` is the user's own PVC, mounted at ``/storage/{user}``;
    otherwise it is the shared volume, mounted with subPath = the home's parent.
    """
    check_relative(home)
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
    job = f"{namespace}/{home}/{archive_name}/{mode}"
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
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": deadline_seconds,
            "automountServiceAccountToken": False,
            # root: participants' files may belong to any uid on a shared volume
            "securityContext": {"runAsUser": 0, "runAsGroup": 0},
            "containers": [
                {
                    "name": "cleanup",
                    "image": image,
                    "command": ["sh", "-c", SCRIPT, "hubtypes-cleanup"],
                    "args": [user, archive_dir, archive_name, mode],
                    "volumeMounts": mounts,
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "32Mi"},
                        "limits": {"memory": "256Mi"},
                    },
                }
            ],
            "volumes": volumes,
        },
    }


async def run_cleanup_pod(
    api: Any, manifest: dict[str, Any], *, timeout: float, poll: float = 1.0
) -> None:
    """Create the pod (or find it from an earlier attempt), wait for it to succeed,
    then delete it. Raises RuntimeError if it fails or does not finish in time,
    so the caller leaves the user in place to be retried."""
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
    while loop.time() < deadline:
        pod = await api.read_namespaced_pod(name=name, namespace=namespace)
        phase = (pod.status.phase if pod.status else None) or ""
        if phase in ("Succeeded", "Failed"):
            break
        await asyncio.sleep(poll)
    if phase != "Succeeded":
        raise RuntimeError(
            f"cleanup pod {namespace}/{name} ended as {phase or 'not finished'}; "
            "the storage was not removed and the pod is left for inspection"
        )
    await api.delete_namespaced_pod(name=name, namespace=namespace)


__all__ = ["SCRIPT", "cleanup_pod_manifest", "cleanup_pod_name", "run_cleanup_pod"]
