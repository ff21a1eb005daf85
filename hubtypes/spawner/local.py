"""The mixin on JupyterHub's local spawners (``hubtypes-simple``, ``hubtypes-local``)."""

from __future__ import annotations

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner

from hubtypes.spawner.mixin import HubTypeSpawnerMixin
from hubtypes.spawner.storage.local import LocalStorage


class HubTypesSimpleSpawner(HubTypeSpawnerMixin, SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner with hub-type-aware storage (``hubtypes-simple``).
    Every server runs as the hub's user: for trying hubtypes out and tests."""

    storage_backend = LocalStorage(system_users=False)


class HubTypesLocalSpawner(HubTypeSpawnerMixin, LocalProcessSpawner):
    """LocalProcessSpawner with hub-type-aware storage (``hubtypes-local``): servers
    run as system users, so the OS enforces homes, materials and shared folders."""

    storage_backend = LocalStorage(system_users=True)


__all__ = ["HubTypesLocalSpawner", "HubTypesSimpleSpawner"]
