"""A real JupyterHub with the mixin on SimpleLocalProcessSpawner spawning real jupyter-server.

Workshop membership comes from hubtypes' database (rows inserted directly), so this
does not depend on the authenticator.
"""

from __future__ import annotations

import json
import os
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from realhub import NO_LAB_ARGS, HubFactory, RealHub
from rows import add_workshop

NOW = datetime.now(timezone.utc)


def progress_messages(hub: RealHub, name: str) -> list[str]:
    """The spawn-pending page's event stream, read to the end."""
    messages = []
    with hub.api("GET", f"/users/{name}/server/progress", stream=True) as r:
        for line in r.iter_lines():
            if line.startswith(b"data:"):
                event = json.loads(line[5:])
                messages.append(event.get("message", ""))
                if event.get("failed"):
                    raise AssertionError(f"spawn failed: {event}\n{hub.log_tail()}")
                if event.get("ready"):
                    break
    return messages


@pytest.mark.hub
def test_workshop_storage_on_a_real_hub(real_hub_factory: HubFactory, tmp_path: Path) -> None:
    store, archive = tmp_path / "store", tmp_path / "archive"
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    add_workshop(db_url, participants=["alice"])
    hub = real_hub_factory(
        f"""
c.JupyterHub.authenticator_class = 'dummy'
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = 'hubtypes-simple'
c.Spawner.args = {(["--allow-root"] if os.geteuid() == 0 else []) + NO_LAB_ARGS!r}
c.Spawner.http_timeout = 60
c.JupyterHub.tornado_settings = {{'slow_spawn_timeout': 0}}  # answer 202, stream progress
c.HubTypesDatabase.url = {db_url!r}
c.HubTypeSpawnerMixin.storage_root = {str(store)!r}
c.HubTypeSpawnerMixin.archive_root = {str(archive)!r}
"""
    )
    for name in ("alice", "carol"):
        assert hub.api("POST", f"/users/{name}").status_code == 201
    assert hub.api("POST", "/users/alice/server").status_code == 202
    messages = progress_messages(hub, "alice")
    hub.wait_ready("alice")
    assert "Preparing your home for workshop Python 101" in messages
    assert "Mounting workshop materials (read-only)" in messages
    # the wrapped spawner's own events are still there, after ours
    assert messages.index("Mounting workshop materials (read-only)") < len(messages) - 1

    _, env = hub.server_process("alice")
    home = store / "workshops/py-101/alice"
    assert env["HOME"] == str(home)
    assert env["HUBTYPES_TYPE"] == "workshop" and env["HUBTYPES_WORKSHOP"] == "py-101"
    assert env["HUBTYPES_WORKSHOP_TITLE"] == "Python 101"
    assert datetime.fromisoformat(env["HUBTYPES_DELETE_AFTER"]) > NOW

    token = hub.api("POST", "/users/alice/tokens", json={"note": "test"}).json()["token"]
    contents = f"{hub.url}user/alice/api/contents/"
    auth = {"Authorization": f"token {token}"}

    def put(path: str, text: str) -> requests.Response:
        body = {"type": "file", "format": "text", "content": text}
        return requests.put(contents + path, json=body, headers=auth, timeout=30)

    assert put("notes.txt", "mine").status_code == 201
    assert (home / "notes.txt").read_text() == "mine"
    refused = put("materials/answer.txt", "cheat")
    assert refused.status_code == 403, refused.text
    assert not (store / "workshops/py-101/_materials/answer.txt").exists()
    assert put("shared/team.txt", "ours").status_code == 201
    assert (store / "workshops/py-101/_shared/team.txt").read_text() == "ours"

    # a community user's home (hubtypes does not know carol) must survive her deletion
    carol = store / "community/carol"
    carol.mkdir(parents=True)
    (carol / "thesis.tex").write_text("years of work")

    assert hub.api("DELETE", "/users/alice/server").status_code in (202, 204)
    for name in ("alice", "carol"):
        r = hub.api("DELETE", f"/users/{name}")
        assert r.status_code == 204, r.text
    assert not home.exists()
    assert (store / "workshops/py-101/_shared/team.txt").exists()  # the link was not followed
    assert (carol / "thesis.tex").read_text() == "years of work"
    (tarball,) = (archive / "workshops/py-101").glob("alice-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        assert "alice/notes.txt" in names
        assert tar.getmember("alice/shared").issym()
    manifest = json.loads(Path(str(tarball).replace(".tar.gz", ".manifest.json")).read_text())
    assert manifest["source"] == "workshops/py-101/alice"
    assert any(e["path"] == "alice/notes.txt" for e in manifest["entries"])
