"""A pytest plugin: JupyterHub's own spawner tests, run against hubtypes' spawner classes.

Loaded with ``-p hubtypes_peer`` (this folder on ``sys.path``) before JupyterHub's test
package is imported, it puts hubtypes' classes where those tests find the stock ones:

- ``jupyterhub.spawner.SimpleLocalProcessSpawner`` and ``LocalProcessSpawner`` become
  ``HubTypesSimpleSpawner`` and ``HubTypesLocalSpawner``, so ``jupyterhub.tests.mocking``
  defines ``MockSpawner`` (MockHub's default spawner) on top of the mixin, and the tests that
  name the stock classes get ours;
- hubtypes' database is an empty SQLite file, so everyone is a community user, and storage
  goes to a temporary directory.

Nothing of JupyterHub's tests is copied or changed; ``tests/spawner/test_peer_suite.py``
runs them and excuses, by test id and with the reason, the assertions that compare exact
values the mixin is allowed to add to.
"""

from __future__ import annotations

import os
import tempfile

from traitlets import default

ROOT = tempfile.mkdtemp(prefix="hubtypes-peer-")
os.environ["HUBTYPES_DB_URL"] = f"sqlite:///{ROOT}/hubtypes.sqlite"

import jupyterhub.spawner as stock  # noqa: E402

from hubtypes.spawner import local  # noqa: E402


class HubTypesSimpleSpawner(local.HubTypesSimpleSpawner):
    @default("storage_root")
    def _peer_storage_root(self) -> str:
        return os.path.join(ROOT, "storage")


class HubTypesLocalSpawner(local.HubTypesLocalSpawner):
    @default("storage_root")
    def _peer_storage_root(self) -> str:
        return os.path.join(ROOT, "storage")


for cls in (HubTypesSimpleSpawner, HubTypesLocalSpawner):
    cls.__module__ = "hubtypes.spawner.local"

stock.SimpleLocalProcessSpawner = HubTypesSimpleSpawner  # type: ignore[misc]
stock.LocalProcessSpawner = HubTypesLocalSpawner  # type: ignore[misc]


def pytest_report_header(config: object) -> str:
    return f"hubtypes peer run: JupyterHub's tests with hubtypes' spawners (state in {ROOT})"
