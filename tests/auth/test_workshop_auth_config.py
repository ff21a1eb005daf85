"""Configuration mistakes are caught when the hub starts, naming the full c.Class.trait."""

from __future__ import annotations

import logging

import pytest
from traitlets import TraitError
from traitlets.config import Config

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
