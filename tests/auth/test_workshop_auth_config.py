"""Configuration mistakes are caught when the hub starts, naming the full c.Class.trait.

The spawner mixin's settings (``c.HubTypeSpawnerMixin``) are checked at start wherever
hubtypes is loaded: by the workshop login, by the OAuth grants mixin, and, for a hub with
another login (GitHub, tmpauthenticator), by the spawner drop-in snippets.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets import Any, TraitError
from traitlets.config import Application, Config

from hubtypes.auth.workshop import WorkshopAuthenticator


def make(config: Config, tmp_path) -> WorkshopAuthenticator:
    config.HubTypesDatabase.url = f"sqlite:///{tmp_path}/hubtypes.sqlite"
    return WorkshopAuthenticator(config=config)


def test_a_bad_spawner_policy_stops_the_hub_at_start(tmp_path, caplog):
    c = Config()
    c.HubTypeSpawnerMixin.policy_overrides = {"workshop": {"on_stop": "archive"}}
    caplog.set_level(logging.CRITICAL)
    with pytest.raises(SystemExit):
        make(c, tmp_path)
    assert "c.HubTypeSpawnerMixin.policy_overrides: workshop.on_stop cannot be 'archive'" in (
        caplog.text
    )


@pytest.mark.parametrize(
    "section, fragment",
    [
        ({"policy_overrides": {"campus": {}}}, "unknown hub type 'campus'"),
        ({"policy_overrides": {"binder": {"colour": 1}}}, "unknown policy field(s) ['colour']"),
        ({"default_hub_type": "school"}, "c.HubTypeSpawnerMixin.default_hub_type: 'school'"),
        ({"unassigned_hub_type": "x"}, "c.HubTypeSpawnerMixin.unassigned_hub_type: 'x'"),
    ],
)
def test_spawner_config_problems_name_the_key(tmp_path, caplog, section, fragment):
    c = Config()
    for key, value in section.items():
        setattr(c.HubTypeSpawnerMixin, key, value)
    with pytest.raises(SystemExit):
        make(c, tmp_path)
    assert fragment in caplog.text


@pytest.mark.parametrize(
    "trait, value, message",
    [
        ("user_failure_limit", -1, "c.WorkshopAuthenticator.user_failure_limit must be 0"),
        ("throttle_window", 0, "c.WorkshopAuthenticator.throttle_window must be at least 1"),
        ("workshop_group", "workshop", "c.WorkshopAuthenticator.workshop_group must contain"),
    ],
)
def test_own_traits_are_validated(tmp_path, trait, value, message):
    c = Config()
    setattr(c.WorkshopAuthenticator, trait, value)
    with pytest.raises(TraitError, match=message):
        make(c, tmp_path)


def test_a_good_config_starts(tmp_path):
    c = Config()
    c.HubTypeSpawnerMixin.policy_overrides = {"community": {"on_delete": "archive"}}
    assert make(c, tmp_path).throttle_window == 300


def test_the_mixin_names_its_trait_too():
    from hubtypes.spawner.mixin import HubTypeSpawnerMixin

    c = Config()
    c.HubTypeSpawnerMixin.policy_overrides = {"binder": {"on_stop": "archive"}}
    with pytest.raises(TraitError, match=r"c\.HubTypeSpawnerMixin\.policy_overrides: binder"):
        HubTypeSpawnerMixin(config=c)


BAD_POLICY = "c.HubTypeSpawnerMixin.policy_overrides: workshop.on_stop cannot be 'archive'"
SNIPPET = Path(__file__).parents[2] / "jupyterhub_config.d/20-hubtypes-spawner-workshop.py"


def test_the_oauth_grants_mixin_stops_the_hub_at_start_too(tmp_path, caplog):
    pytest.importorskip("oauthenticator")
    from hubtypes.auth.oauth import WorkshopGenericOAuthenticator

    c = Config()
    c.HubTypesDatabase.url = f"sqlite:///{tmp_path}/hubtypes.sqlite"
    c.HubTypeSpawnerMixin.policy_overrides = {"workshop": {"on_stop": "archive"}}
    with pytest.raises(SystemExit) as stopped:
        WorkshopGenericOAuthenticator(config=c)
    assert stopped.value.code == 1
    assert BAD_POLICY in caplog.text
    assert not (tmp_path / "hubtypes.sqlite").exists()  # stopped before opening anything

    c.HubTypeSpawnerMixin.policy_overrides = {"workshop": {"on_delete": "delete"}}
    assert WorkshopGenericOAuthenticator(config=c).allow_workshop_grants


class FakeHub(Application):
    """What the drop-in check needs of JupyterHub: a config, and ``init_db``'s trait."""

    session_factory = Any()


@pytest.mark.parametrize(
    "later, stops",
    [
        ({"workshop": {"on_stop": "archive"}}, True),
        ({"community": {"on_delete": "archive"}}, False),
    ],
)
def test_the_drop_in_check_waits_for_the_whole_config(caplog, later, stops):
    from hubtypes.spawner.dropin import check_spawner_config_at_start

    hub = FakeHub(log=logging.getLogger("fake-hub"))  # the hub's logger, seen by caplog
    check_spawner_config_at_start(hub)  # as a snippet does, while the hub loads its config
    check_spawner_config_at_start(hub)  # a second snippet: still one check
    # a setting after the snippet (or in a file it cannot see) counts: the check runs at
    # init_db, once every file's config is merged into the hub's
    hub.update_config(Config({"HubTypeSpawnerMixin": {"policy_overrides": later}}))
    assert caplog.text == ""
    if stops:
        with pytest.raises(SystemExit):
            hub.session_factory = object()
        assert caplog.text.count(BAD_POLICY) == 1
    else:
        hub.session_factory = object()
        assert caplog.text == ""
    hub.session_factory = object()  # once: a later change checks nothing again


def test_no_hub_application_no_check():
    from hubtypes.spawner.dropin import check_spawner_config_at_start

    Application.clear_instance()
    check_spawner_config_at_start()  # a snippet exec'd outside a hub: nothing to watch
    check_spawner_config_at_start(Application())  # an application that is not a hub


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_hub_with_another_login_and_the_spawner_snippet_stops_at_start(tmp_path):
    """A real JupyterHub with its own login (PAM) and the workshop storage snippet loaded
    by ``load_subconfig`` (a fresh config that cannot see the line after it)."""
    (tmp_path / "jupyterhub_config.py").write_text(
        "c = get_config()  # noqa\n"
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{_free_port()}'\n"
        f"c.JupyterHub.hub_port = {_free_port()}\n"
        f"c.JupyterHub.db_url = 'sqlite:///{tmp_path}/jupyterhub.sqlite'\n"
        f"load_subconfig({str(SNIPPET)!r})\n"
        "c.HubTypeSpawnerMixin.policy_overrides = {'workshop': {'on_stop': 'archive'}}\n"
    )
    hub = subprocess.run(
        [sys.executable, "-m", "jupyterhub", "-f", "jupyterhub_config.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert hub.returncode == 1, hub.stderr[-3000:]
    lines = [line for line in hub.stderr.splitlines() if "hubtypes:" in line]
    assert len(lines) == 1 and lines[0].startswith("[C ") and BAD_POLICY in lines[0], lines
    assert "Starting proxy" not in hub.stderr  # stopped before the proxy or any server
