"""A contents manager for single-user servers that keeps some folders read-only.

Used by the local backend: on SimpleLocalProcessSpawner every server runs as the
hub's own user, so file permissions cannot stop a participant from writing to
the workshop materials. This guard refuses, with a 403, every write the Jupyter
contents API would make under a read-only folder (save, new, upload, copy into,
rename, delete, checkpoints). It does not stop code run in a kernel or terminal;
the docs say so.
"""

from __future__ import annotations

import posixpath
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from traitlets import List, Unicode


class GuardedContentsManager(AsyncLargeFileManager):
    read_only_dirs = List(
        Unicode(),
        help="Folders (relative to the server's root) in which nothing may be written.",
    ).tag(config=True)

    def _guard(self, path: str) -> None:
        clean = posixpath.normpath("/" + (path or "").strip("/")).lstrip("/")
        for name in self.read_only_dirs:
            if clean == name or clean.startswith(name + "/"):
                raise web.HTTPError(403, f"{name} is read-only")

    async def save(self, model: dict[str, Any], path: str = "") -> Any:
        self._guard(path)
        return await super().save(model, path)

    async def delete_file(self, path: str) -> Any:
        self._guard(path)
        return await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> Any:
        self._guard(old_path)
        self._guard(new_path)
        return await super().rename_file(old_path, new_path)

    async def create_checkpoint(self, path: str) -> Any:
        self._guard(path)
        return await super().create_checkpoint(path)

    async def restore_checkpoint(self, checkpoint_id: str, path: str) -> Any:
        self._guard(path)
        return await super().restore_checkpoint(checkpoint_id, path)
