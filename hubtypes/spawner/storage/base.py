"""StorageBackend: how one spawner family applies the mounts and removes a home.

Each hubtypes spawner class names its backend (``storage_backend``); the mixin calls it.
"""

from __future__ import annotations

from typing import Any

from hubtypes.storage.hub_types import Resolution, StorageAction
from hubtypes.storage.mounts import Mount


class StorageBackend:
    """Base of the storage backends: container backends need no extra environment or arguments."""

    async def prepare(self, spawner: Any, res: Resolution, mounts: tuple[Mount, ...]) -> None:
        """Create what the mounts need and set the spawner's own storage settings."""
        raise NotImplementedError

    def environment(self, spawner: Any, mounts: tuple[Mount, ...]) -> dict[str, str]:
        """Extra environment for the single-user server (e.g. HOME for local servers)."""
        return {}

    def extra_args(self, spawner: Any, mounts: tuple[Mount, ...]) -> list[str]:
        """Extra command-line arguments for the single-user server."""
        return []

    async def remove_home(
        self, spawner: Any, stored: dict[str, str], action: StorageAction
    ) -> None:
        """Keep, archive-then-delete or delete the home recorded in ``stored``.

        ``stored`` has ``type``, ``home`` (path relative to the storage root),
        ``workshop`` and ``user`` (slugs). Must be idempotent.
        """
        raise NotImplementedError
