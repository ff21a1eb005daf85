"""hubtypes on every JupyterHub it declares (``jupyterhub>=5.5.1,<7``): the same behaviour,
and no setting a 5.5 hub does not know.

``Authenticator.auth_refresh_strict`` is new in 6.1 (``.. versionadded:: 6.1`` in the trait's
help, ``jupyterhub/auth.py`` of the installed jupyterhub 6.1.1; absent from
``jupyterhub/auth.py`` in jupyterhub/jupyterhub at tag 5.5.1, commit
4b520710d97766554b76e43839d16b2e22d1735f). Before 6.1, ``BaseHandler.refresh_auth``
(``jupyterhub/handlers/base.py`` at that commit) returns None whenever ``refresh_user``
returns False, for token-authenticated and cross-user requests too: what 6.1 calls strict.

``.ci/run`` runs this file in the main suite (newest JupyterHub) and again in a virtualenv
with the lowest one (``$HUBTYPES_EXPECT_JUPYTERHUB`` names the version it installed there),
together with the real-hub smoke tests listed in ``.ci/run``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupyterhub
import pytest
from jupyterhub.auth import Authenticator
from packaging.requirements import Requirement
from packaging.version import Version
from traitlets.config import Config

from hubtypes.auth.workshop import HAS_STRICT_REFRESH, WorkshopAuthenticator

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
JUPYTERHUB = Version(jupyterhub.__version__)


def declared() -> Requirement:
    """pyproject's ``jupyterhub`` requirement (tomllib is not in Python 3.10)."""
    [line] = re.findall(r'^\s*"(jupyterhub\s*[<>=!~][^"]*)",', PYPROJECT.read_text(), re.M)
    return Requirement(line)


def test_this_jupyterhub_is_a_declared_one():
    assert declared().specifier.contains(JUPYTERHUB), (JUPYTERHUB, declared())
    expected = os.environ.get("HUBTYPES_EXPECT_JUPYTERHUB")
    if expected:  # the lowest-version run: pip must not have picked another one
        assert str(JUPYTERHUB) == expected


def test_strict_refresh_is_set_only_where_jupyterhub_has_it(tmp_path):
    has = "auth_refresh_strict" in Authenticator.class_trait_names()
    assert has == (JUPYTERHUB >= Version("6.1")) == HAS_STRICT_REFRESH
    config = Config()
    config.HubTypesDatabase.url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    auth = WorkshopAuthenticator(config=config)
    assert auth.auth_refresh_age == 60  # a locked account's session ends within a minute
    if has:
        assert auth.auth_refresh_strict is True
    else:
        assert not auth.has_trait("auth_refresh_strict")


@pytest.mark.hub
def test_a_hub_with_the_authenticator_warns_of_no_unknown_option(real_hub_factory, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    hub = real_hub_factory(
        f'c.JupyterHub.authenticator_class = "workshop"\nc.HubTypesDatabase.url = {db_url!r}\n'
    )
    assert hub.api("GET", "/").json()["version"] == jupyterhub.__version__
    log = hub.log_text()
    assert "Using Authenticator: hubtypes.auth.workshop.WorkshopAuthenticator" in log
    unknown = re.findall(r".*(?:not recognized|Unrecognized).*", log)
    assert unknown == [], unknown


@pytest.mark.hub
def test_a_workshop_hub_from_every_snippet_warns_of_no_unknown_option(real_hub_factory, tmp_path):
    """The workshop hub's four snippets as an operator loads them (``load_subconfig`` in a
    plain jupyterhub_config.py), with both services running: neither the hub nor a service
    logs a setting its JupyterHub does not know (on 5.5, a 6.1-only one would be "not
    recognized" and silently do nothing)."""
    from realhub import free_port
    from svchub import wait_for

    from hubtypes._data import config_d_dir

    db_url = f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    service, culler = free_port(), free_port()
    snippets = ("10-hubtypes-workshop.py", "20-hubtypes-spawner-workshop.py",
                "30-hubtypes-workshop-service.py", "40-hubtypes-culler.py")  # fmt: skip
    config = (
        "import os\n"
        f"os.environ['HUBTYPES_DB_URL'] = {db_url!r}\n"
        f"os.environ['HUBTYPES_WORKSHOP_SERVICE_URL'] = 'http://127.0.0.1:{service}'\n"
        f"os.environ['HUBTYPES_CULLER_URL'] = 'http://127.0.0.1:{culler}'\n"
        f"c.HubTypesDatabase.url = {db_url!r}\n"
        + "".join(f"load_subconfig({str(config_d_dir() / s)!r})\n" for s in snippets)
        + f"c.HubTypeSpawnerMixin.storage_root = {str(tmp_path / 'storage')!r}\n"
        f"c.HubTypeSpawnerMixin.archive_root = {str(tmp_path / 'archive')!r}\n"
    )
    hub = real_hub_factory(config)
    # both services' start-up lines (they log their settings once read)
    started = ("Workshops at /services/workshop/", "Culler at /services/culler/")

    def both_started() -> str:
        text = hub.log_text()
        return text if all(m in text for m in started) else ""

    log = wait_for(both_started, timeout=60, what="the services' start-up lines")
    assert "Using Authenticator: hubtypes.auth.workshop.WorkshopAuthenticator" in log
    unknown = re.findall(r".*(?:not recognized|Unrecognized).*", log)
    assert unknown == [], unknown
