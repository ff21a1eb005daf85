"""The mixin respects what operators and users set, and fails kindly (issue: spawner suite).

Real hubs on loopback with the mixin on SimpleLocalProcessSpawner and real jupyter-server
for notebook_dir, binder named servers and an unreachable database; in-process for the
stop() call shape and old server states (no hub is involved there).
"""

from __future__ import annotations

import asyncio
import os
import time
import types
from pathlib import Path
from typing import Any

import pytest
import requests
from realhub import NO_LAB_ARGS, HubFactory, RealHub
from rows import add_workshop
from traitlets.config import Config

from hubtypes.spawner.mixin import DATABASE_UNAVAILABLE, HubTypeSpawnerMixin
from hubtypes.storage.hub_types import StorageAction
from hubtypes.storage.mounts import server_root

# jupyter-server without JupyterLab: the contents API and the server root are the point
ARGS = [*(["--allow-root"] if os.geteuid() == 0 else []), *NO_LAB_ARGS]


def hub_config(store: Path, db_url: str, extra: str = "") -> str:
    return f"""
c.JupyterHub.authenticator_class = 'dummy'
c.Authenticator.allow_all = True
c.JupyterHub.allow_named_servers = True
c.JupyterHub.spawner_class = 'hubtypes-simple'
c.Spawner.args = {ARGS!r}
c.Spawner.default_url = '/api'
c.Spawner.http_timeout = 60
c.HubTypesDatabase.url = {db_url!r}
c.HubTypeSpawnerMixin.storage_root = {str(store)!r}
{extra}
"""


def contents(hub: RealHub, token: str, name: str, server: str = "") -> str:
    base = f"{hub.url}user/{name}/" + (f"{server}/" if server else "")
    return base + "api/contents/"


def start(hub: RealHub, name: str, server: str = "") -> None:
    path = f"/users/{name}/server" + (f"s/{server}" if server else "")
    r = hub.api("POST", path)
    assert r.status_code in (201, 202), r.text
    hub.wait_ready(name, server)


@pytest.mark.hub
def test_notebook_dir_is_kept_and_resolved_inside_the_home(
    real_hub_factory: HubFactory, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    (store / "community/olive/work").mkdir(parents=True)
    (store / "community/olive/work/inside.txt").write_text("here")
    hub = real_hub_factory(
        hub_config(store, f"sqlite:///{tmp_path}/h.sqlite", "c.Spawner.notebook_dir = 'work'")
    )
    hub.api("POST", "/users/olive")
    start(hub, "olive")
    token = hub.api("POST", "/users/olive/tokens", json={"note": "t"}).json()["token"]
    auth = {"Authorization": f"token {token}"}
    listing = requests.get(contents(hub, token, "olive"), headers=auth, timeout=30).json()
    assert [item["name"] for item in listing["content"]] == ["inside.txt"]
    # a second start does not take the first start's absolute path for the operator's
    assert hub.api("DELETE", "/users/olive/server").status_code in (202, 204)
    start(hub, "olive")
    listing = requests.get(contents(hub, token, "olive"), headers=auth, timeout=30).json()
    assert [item["name"] for item in listing["content"]] == ["inside.txt"]
    assert hub.api("DELETE", "/users/olive/server").status_code in (202, 204)


@pytest.mark.hub
def test_a_users_notebook_dir_option_is_kept_inside_the_home(
    real_hub_factory: HubFactory, tmp_path: Path
) -> None:
    """A user's choice (``user_options``, mapped by JupyterHub's ``apply_user_options``)
    beats the operator's ``notebook_dir``, inside the home the mixin chose, and a later
    start with another choice is not held to the first one's."""
    store = tmp_path / "store"
    for sub in ("work", "projects", "notes"):
        (store / f"community/pia/{sub}").mkdir(parents=True)
        (store / f"community/pia/{sub}/{sub}.txt").write_text(sub)
    extra = (
        "c.Spawner.notebook_dir = 'work'\nc.Spawner.apply_user_options = {'dir': 'notebook_dir'}"
    )
    hub = real_hub_factory(hub_config(store, f"sqlite:///{tmp_path}/h.sqlite", extra))
    hub.api("POST", "/users/pia")
    token = hub.api("POST", "/users/pia/tokens", json={"note": "t"}).json()["token"]
    auth = {"Authorization": f"token {token}"}
    for options, listed in (({"dir": "projects"}, "projects.txt"), ({"dir": "notes"}, "notes.txt")):
        r = hub.api("POST", "/users/pia/server", json=options)
        assert r.status_code in (201, 202), r.text
        hub.wait_ready("pia")
        listing = requests.get(contents(hub, token, "pia"), headers=auth, timeout=30).json()
        assert [item["name"] for item in listing["content"]] == [listed], options
        assert hub.api("DELETE", "/users/pia/server").status_code in (202, 204)
        deadline = time.monotonic() + 30
        while hub.api("GET", "/users/pia").json()["servers"] and time.monotonic() < deadline:
            time.sleep(0.2)


@pytest.mark.hub
@pytest.mark.parametrize(
    "extra, kind",
    [
        ("c.HubTypeSpawnerMixin.default_hub_type = 'binder'", "binder"),
        # an operator's override makes community homes go at each stop: one per server too
        (
            "c.HubTypeSpawnerMixin.policy_overrides = {'community': {'on_stop': 'delete'}}",
            "community",
        ),
    ],
    ids=["binder", "community-on-stop-delete"],
)
def test_binder_named_servers_have_their_own_homes(
    real_hub_factory: HubFactory, tmp_path: Path, extra: str, kind: str
) -> None:
    store = tmp_path / "store"
    hub = real_hub_factory(hub_config(store, f"sqlite:///{tmp_path}/h.sqlite", extra))
    hub.api("POST", "/users/bea")
    start(hub, "bea")
    start(hub, "bea", "two")
    token = hub.api("POST", "/users/bea/tokens", json={"note": "t"}).json()["token"]
    auth = {"Authorization": f"token {token}"}
    body = {"type": "file", "format": "text", "content": "still needed"}
    url = contents(hub, token, "bea", "two") + "work.txt"
    assert requests.put(url, json=body, headers=auth, timeout=30).status_code == 201
    assert (store / kind / "bea/two/work.txt").read_text() == "still needed"
    # stopping the default server deletes its own home, not the one "two" is using
    assert (store / kind / "bea/_default").is_dir()
    assert hub.api("DELETE", "/users/bea/server").status_code in (202, 204)
    deadline = time.monotonic() + 30
    while (store / kind / "bea/_default").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (store / kind / "bea/_default").exists()
    assert (store / kind / "bea/two/work.txt").read_text() == "still needed"
    got = requests.get(url, headers=auth, timeout=30)
    assert got.status_code == 200 and got.json()["content"] == "still needed"
    assert hub.api("DELETE", "/users/bea/servers/two").status_code in (202, 204)
    deadline = time.monotonic() + 30
    while (store / kind / "bea/two").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (store / kind / "bea/two").exists()


@pytest.mark.hub
def test_unreachable_database_gives_a_clear_message_and_logs_the_cause(
    real_hub_factory: HubFactory, tmp_path: Path
) -> None:
    # nothing listens on port 9: connecting fails the way a down database server does
    db_url = "postgresql+psycopg2://hubtypes@127.0.0.1:9/hubtypes"
    hub = real_hub_factory(hub_config(tmp_path / "store", db_url))
    hub.api("POST", "/users/dan")
    r = hub.api("POST", "/users/dan/server")
    deadline = time.monotonic() + 30
    log = ""
    while time.monotonic() < deadline:
        log = hub.log_text()
        if "cannot read dan's account" in log:
            break
        time.sleep(0.3)
    assert "hubtypes: cannot read dan's account" in log and "127.0.0.1" in log
    if r.status_code >= 400:
        assert DATABASE_UNAVAILABLE in r.text
    else:  # the hub answered 202 and reports the failure on the progress stream
        events = hub.api("GET", "/users/dan/server/progress").text
        assert DATABASE_UNAVAILABLE in events
    assert "sqlalchemy" not in r.text.lower()


# --- in-process: no hub is involved ----------------------------------------------------


class NoNowStop:
    """A spawner base whose stop() takes no `now` argument (as some third-party ones)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stopped = False

    async def stop(self) -> None:
        self.stopped = True

    def get_state(self) -> dict[str, Any]:
        return {"pid": 0}

    def load_state(self, state: dict[str, Any]) -> None:
        pass

    def delete_forever(self) -> None:
        pass  # as jupyterhub.spawner.Spawner's: a plain method with nothing to delete


class Spawner(HubTypeSpawnerMixin, NoNowStop):
    user = types.SimpleNamespace(name="eve")
    name = ""


OLD_STOP_SPAWNER = """
from jupyterhub.spawner import SimpleLocalProcessSpawner
from hubtypes.spawner.mixin import HubTypeSpawnerMixin
from hubtypes.spawner.storage.local import LocalStorage

class OldStop(SimpleLocalProcessSpawner):
    # a spawner written before `now` existed: stop() takes no arguments
    async def stop(self):
        return await super().stop()

class OldStopHubTypes(HubTypeSpawnerMixin, OldStop):
    storage_backend = LocalStorage(system_users=False)

c.JupyterHub.spawner_class = OldStopHubTypes
"""


@pytest.mark.hub
def test_a_spawner_whose_stop_takes_no_now_is_stopped_on_a_real_hub(
    real_hub_factory: HubFactory, tmp_path: Path
) -> None:
    """The mixin on a spawner with the old ``stop(self)``: the hub's stop ends the server
    process (before, ``now=`` was forwarded, the stop raised and the process kept running)."""
    store = tmp_path / "store"
    config = hub_config(store, f"sqlite:///{tmp_path}/h.sqlite") + OLD_STOP_SPAWNER
    hub = real_hub_factory(config)
    hub.api("POST", "/users/ola")
    start(hub, "ola")
    pid, _env = hub.server_process("ola")
    assert hub.api("DELETE", "/users/ola/server").status_code in (202, 204)
    deadline = time.monotonic() + 30
    while hub.api("GET", "/users/ola").json()["servers"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert hub.api("GET", "/users/ola").json()["servers"] == {}
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(f"/proc/{pid}"), "the server process still runs"
    log = hub.log_text()
    assert "TypeError" not in log and "unexpected keyword argument" not in log, hub.log_tail()
    # and it starts again
    start(hub, "ola")
    assert hub.api("DELETE", "/users/ola/server").status_code in (202, 204)


def test_stop_calls_the_wrapped_spawner_as_jupyterhub_does() -> None:
    sp = Spawner(config=Config())
    asyncio.run(sp.stop())
    assert sp.stopped


def test_the_server_still_stops_when_removing_the_home_fails(caplog) -> None:
    sp = Spawner(config=Config())
    sp._hubtypes_stored = {"type": "binder", "home": "binder/eve/_default", "workshop": "",
                           "user": "eve"}  # fmt: skip

    class Broken:
        async def remove_home(self, *args: Any) -> None:
            raise OSError("disk on fire")

    sp.hubtypes_backend = lambda: Broken()  # type: ignore[method-assign]
    asyncio.run(sp.stop())
    assert sp.stopped
    assert "ephemeral home binder/eve/_default was not removed" in caplog.text


@pytest.mark.parametrize(
    "state",
    [
        # written by hubtypes 0.1: the same keys
        {
            "pid": 0,
            "hubtypes": {
                "type": "workshop",
                "home": "workshops/py/ann",
                "workshop": "py",
                "user": "ann",
            },
        },  # fmt: skip
        {"pid": 0},  # a server started before hubtypes was installed
        {"pid": 0, "hubtypes": "garbage"},  # never trusted blindly
        # binder, before homes per server (18f30e4): all the user's servers in binder/{user}
        {
            "pid": 0,
            "hubtypes": {"type": "binder", "home": "binder/eve", "workshop": "", "user": "eve"},
        },
    ],
)
def test_states_from_older_versions_load(state: dict[str, Any]) -> None:
    sp = Spawner(config=Config())
    sp.load_state(state)
    out = sp.get_state()
    if isinstance(state.get("hubtypes"), dict):
        expected = dict(state["hubtypes"])
        if expected["home"] == "binder/eve":  # now names this (default) server's own home
            expected["home"] = "binder/eve/_default"
        assert out["hubtypes"] == expected
    else:
        assert "hubtypes" not in out


OLD_BINDER_STATE = {"type": "binder", "home": "binder/eve", "workshop": "", "user": "eve"}


def old_state_spawner(store: Path, server: str, overrides: dict[str, Any]) -> Spawner:
    config = Config()
    config.HubTypeSpawnerMixin.storage_root = str(store)
    config.HubTypeSpawnerMixin.policy_overrides = overrides
    sp = Spawner(config=config)
    sp.name = server  # type: ignore[misc]
    return sp


@pytest.mark.parametrize("server", ["", "one"])
def test_stopping_a_server_with_an_old_binder_state_keeps_its_siblings_homes(
    tmp_path: Path, server: str
) -> None:
    """After an upgrade, a binder server started before homes per server stops: the real
    local backend deletes nothing another server of the user is using."""
    store = tmp_path / "store"
    old_home, sibling = store / "binder/eve", store / "binder/eve/two"
    sibling.mkdir(parents=True)
    (sibling / "work.txt").write_text("still needed")  # a server started after the upgrade
    (old_home / "old.txt").write_text("another old server's")  # old servers shared it
    sp = old_state_spawner(store, server, {})
    sp.load_state({"pid": 0, "hubtypes": dict(OLD_BINDER_STATE)})
    own = store / "binder/eve" / (server or "_default")
    if server:  # a new server of that name once ran in its own home: only it goes
        own.mkdir()
    asyncio.run(sp.stop())
    assert sp.stopped
    assert (sibling / "work.txt").read_text() == "still needed"
    assert (old_home / "old.txt").read_text() == "another old server's"
    assert not own.exists()


def test_a_shared_home_is_kept_when_an_override_makes_homes_go_on_stop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A state written while community homes persisted (one per user) names that home;
    after the operator sets on_stop: delete, stopping a server keeps it."""
    store = tmp_path / "store"
    (store / "community/eve").mkdir(parents=True)
    (store / "community/eve/thesis.txt").write_text("years of work")
    sp = old_state_spawner(store, "two", {"community": {"on_stop": "delete"}})
    sp.load_state({"pid": 0, "hubtypes": {"type": "community", "home": "community/eve",
                                          "workshop": "", "user": "eve"}})  # fmt: skip
    asyncio.run(sp.stop())
    assert (store / "community/eve/thesis.txt").read_text() == "years of work"
    assert "its home community/eve is not its own, so it is kept" in caplog.text


@pytest.mark.parametrize(
    "notebook_dir, expected",
    [
        ("", "/s/community/ann"),
        ("work", "/s/community/ann/work"),
        ("a/../b", "/s/community/ann/b"),
        ("/srv/data", "/srv/data"),
        ("~/notebooks", "~/notebooks"),
    ],
)
def test_server_root_table(notebook_dir: str, expected: str) -> None:
    assert server_root(notebook_dir, "/s/community/ann") == expected


@pytest.mark.parametrize("notebook_dir", ["..", "../bob", "work/../../bob"])
def test_server_root_never_leaves_the_home(notebook_dir: str) -> None:
    with pytest.raises(ValueError, match="leads out of the home"):
        server_root(notebook_dir, "/s/community/ann")


def test_storage_action_values_are_stable() -> None:
    # stored in configs and states: renaming one would break an operator's hub
    assert [a.value for a in StorageAction] == ["keep", "archive", "delete"]


@pytest.mark.hub
def test_where_the_home_is_survives_a_hub_restart(
    real_hub_factory: HubFactory, tmp_path: Path
) -> None:
    """The `hubtypes` state key is what deletion uses, also after the hub restarts: here the
    user joins a workshop in between, and deleting them removes the home they really had."""
    store = tmp_path / "store"
    db_url = f"sqlite:///{tmp_path}/h.sqlite"
    overrides = "c.HubTypeSpawnerMixin.policy_overrides = {'community': {'on_delete': 'delete'}}"
    hub = real_hub_factory(hub_config(store, db_url, overrides))
    hub.api("POST", "/users/rhea")
    start(hub, "rhea")
    assert hub.api("DELETE", "/users/rhea/server").status_code in (202, 204)
    state = hub.api("GET", "/users/rhea").json()["servers"]  # stopped: not listed any more
    assert state == {}
    hub.restart()
    add_workshop(db_url, slug="late", title="Late", participants=["rhea"])
    assert (store / "community/rhea").is_dir()
    assert hub.api("DELETE", "/users/rhea").status_code == 204
    assert not (store / "community/rhea").exists()  # the home it had, from the state
    assert not (store / "workshops/late/rhea").exists()  # never created, never touched


async def test_deleting_a_named_server_that_shares_the_home_does_not_wait(tmp_path: Path) -> None:
    """JupyterHub's ``DELETE /users/{name}/servers/{server}`` with ``remove`` answers 204,
    then awaits ``delete_forever`` before it forgets the server (jupyterhub 5.5 and 6.1,
    apihandlers/users.py, ``_remove_spawner``). A named server sharing the user's home keeps
    it, so ``delete_forever`` finishes without a turn of the event loop, as the stock
    spawner's does: the user's next request must not count the removed server against
    ``named_server_limit_per_user`` (JupyterHub's own ``test_named_server_limit`` got 400
    under load when it waited on the storage pool)."""
    store = tmp_path / "store"
    (store / "community/eve").mkdir(parents=True)
    (store / "community/eve/thesis.txt").write_text("years of work")
    sp = old_state_spawner(store, "two", {})
    sp.load_state({"pid": 0, "hubtypes": {"type": "community", "home": "community/eve",
                                          "workshop": "", "user": "eve"}})  # fmt: skip
    deleting = sp.delete_forever()
    with pytest.raises(StopIteration):  # done at its first step: it never yielded
        deleting.send(None)
    assert (store / "community/eve/thesis.txt").read_text() == "years of work"
