"""svchub's hub and workshop service with hubtypes' own spawner: the participant tests'."""

from __future__ import annotations

import clirun
import svchub


def participant_hub(factory, tmp_path, extra: str = "", *, lab: bool = False) -> svchub.ServiceHub:
    """svchub's hub and workshop service, with hubtypes' own spawner (its homes, the dates
    file) on SimpleLocalProcessSpawner running real jupyter-server processes (with
    JupyterLab when ``lab``: the browser test opens it)."""
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    store = tmp_path / "store"
    store.mkdir(exist_ok=True)
    clirun.db_upgrade(db_url)
    config = svchub.ServiceHub.config(db_url, tmp_path / "homes", lab=lab)
    config += f"""
c.JupyterHub.spawner_class = "hubtypes-simple"
c.HubTypeSpawnerMixin.storage_root = {str(store)!r}
c.Spawner.http_timeout = 60
{extra}
"""
    sh = svchub.ServiceHub(factory(config), db_url, tmp_path)
    sh.wait_service()
    return sh
