"""An instructor grant puts its identity in ``hubtypes-instructors`` through the auth model
when the authenticator manages groups (``manage_groups = True``): the real composed class
(oauthenticator's GenericOAuthenticator + WorkshopAccessMixin) and a real hubtypes database.

No hub runs here: the hub's side (``auth_to_user`` syncing the model's ``groups``,
jupyterhub/handlers/base.py) is JupyterHub's own; the hub without ``manage_groups`` is
tested end to end in tests/services/workshop/test_grants_page_cli.py. Read from
jupyterhub/auth.py (6.1.1 and 5.5.1): ``run_post_auth_hook(handler, auth_model)`` runs the
operator's ``post_auth_hook`` and returns the model.
"""

from __future__ import annotations

from pathlib import Path

import clirun
from traitlets.config import Config

from hubtypes.auth.oauth import WorkshopGenericOAuthenticator

GROUP = "hubtypes-instructors"


def hubtypes(*args: str) -> None:
    clirun.ok(*args)


def operators_hook(authenticator, handler, model):
    return {**model, "groups": [*model["groups"], "from-the-hook"]}


async def test_instructor_group_in_the_auth_model_with_manage_groups(tmp_path: Path):
    db = ["--db-url", f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"]
    hubtypes("db", "upgrade", *db)
    hubtypes("workshop", "create", "py", "--starts", "+0s", "--ends", "+1d",
             "--delete-after", "+2d", *db)  # fmt: skip
    hubtypes("grants", "add", "--workshop", "py", "--role", "instructor", "teach", *db)
    hubtypes("grants", "add", "--workshop", "py", "alice", *db)
    c = Config()
    c.HubTypesDatabase.url = db[1]
    c.GenericOAuthenticator.manage_groups = True
    c.Authenticator.post_auth_hook = operators_hook
    auth = WorkshopGenericOAuthenticator(config=c)

    model = await auth.run_post_auth_hook(None, {"name": "teach", "groups": ["team-a"]})
    assert model["groups"] == ["team-a", "from-the-hook", GROUP]
    # a participant, or someone whose instructor grant went, is not (or no longer) in it
    for name in ("alice", "carol"):
        model = await auth.run_post_auth_hook(None, {"name": name, "groups": [GROUP, "team-a"]})
        assert model["groups"] == ["team-a", "from-the-hook"]

    # grants off: the base authenticator's model exactly as its hook left it
    c.WorkshopAccessMixin.allow_workshop_grants = False
    off = WorkshopGenericOAuthenticator(config=c)
    model = await off.run_post_auth_hook(None, {"name": "teach", "groups": ["team-a"]})
    assert model["groups"] == ["team-a", "from-the-hook"]
