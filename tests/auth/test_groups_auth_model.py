"""The auth model's groups at login: None for participants (the hub runs no sync_groups),
the workshop's groups for instructors, none for admins.

With ``manage_groups`` on, jupyterhub/handlers/base.py ``auth_to_user`` raises ValueError for
a model without a ``groups`` key and skips ``user.sync_groups`` for ``None`` (the same in
5.5.1 and 6.1.1), so ``None`` is the only way to leave membership to the workshop service.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from traitlets.config import Config

from hubtypes.auth.workshop import WorkshopAuthenticator
from hubtypes.records import AccountView, WorkshopView

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
PY = WorkshopView("py", "PY", NOW, NOW + timedelta(days=1), NOW + timedelta(days=2))


@pytest.fixture
def auth(tmp_path):
    c = Config()
    c.HubTypesDatabase.url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    return WorkshopAuthenticator(config=c)


@pytest.mark.parametrize(
    ("role", "workshop", "groups"),
    [
        ("participant", PY, None),
        ("instructor", PY, ["workshop-py", "workshop-py-instructors"]),
        ("admin", None, []),
    ],
)
def test_groups_at_login(auth, role, workshop, groups):
    assert auth._groups(AccountView("x", role, workshop)) == groups


def test_templates_apply_to_instructors(tmp_path):
    c = Config()
    c.HubTypesDatabase.url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    c.WorkshopAuthenticator.workshop_group = "ws-{slug}"
    c.WorkshopAuthenticator.instructors_group = "ws-{slug}-staff"
    auth = WorkshopAuthenticator(config=c)
    assert auth._groups(AccountView("t", "instructor", PY)) == ["ws-py", "ws-py-staff"]
    assert auth._groups(AccountView("p", "participant", PY)) is None
