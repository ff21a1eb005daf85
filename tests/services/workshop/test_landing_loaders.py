"""Where a login lands, with the service snippet loaded the ways hubs load it.

The config files are read by traitlets' own ``PyFileConfigLoader`` (what
``JupyterHub.load_config_file`` uses; its ``load_subconfig`` loads a file into a *fresh*
Config and merges that over the caller's: traitlets/config/loader.py), or exec'd in the
config's namespace as the Zero-to-JupyterHub chart does with ``jupyterhub_config.d``
(jupyterhub/files/hub/jupyterhub_config.py; the full replica is in tests/install/). The
config is then given to JupyterHub's own app class, and the handler's ``default_url`` is
what the app's tornado settings hold (``BaseHandler.default_url`` reads
``settings["default_url"]``; ``settings["config"]`` is the app's config).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jupyterhub.app import JupyterHub
from traitlets.config.loader import PyFileConfigLoader

from hubtypes._data import config_d_dir
from hubtypes.spawner.dropin import forget_claims

D = config_d_dir()
SNIPPETS = [D / "10-hubtypes-workshop.py", D / "30-hubtypes-workshop-service.py"]


def load(loader: str) -> str:
    """Both snippets, each loaded with ``loader`` (a line with ``{file}``)."""
    return "\n".join(loader.format(file=str(f)) for f in SNIPPETS)


SUBCONFIG = "load_subconfig({file!r})"
EXEC = "with open({file!r}) as f:\n    exec(compile(f.read(), {file!r}, 'exec'))"
OPERATOR = 'c.JupyterHub.default_url = "/hub/home"'


def hub_with(tmp_path: Path, text: str) -> JupyterHub:
    forget_claims()  # as a new hub process
    (tmp_path / "jupyterhub_config.py").write_text(
        f"c.HubTypesDatabase.url = 'sqlite:///{tmp_path}/h.sqlite'\n"
        "c.JupyterHub.tornado_settings = {'slow_spawn_timeout': 5}\n" + text  # the operator's
    )
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(tmp_path)).load_config()
    return JupyterHub(config=config)


def lands(app: JupyterHub, *, admin: bool = False, groups: tuple[str, ...] = ()) -> str:
    default_url = app.tornado_settings["default_url"]
    user = SimpleNamespace(admin=admin, groups=[SimpleNamespace(name=g) for g in groups])
    handler: Any = SimpleNamespace(settings={"config": app.config}, current_user=user, base_url="/")
    return str(default_url(handler))


@pytest.mark.parametrize("loader", [SUBCONFIG, EXEC], ids=["load_subconfig", "z2jh-exec"])
@pytest.mark.parametrize("where", ["before", "after", "unset"])
def test_the_operators_default_url_wins_wherever_it_is_set(tmp_path, loader, where):
    snippets = load(loader)
    text = {
        "before": f"{OPERATOR}\n{snippets}\n",
        "after": f"{snippets}\n{OPERATOR}\n",
        "unset": f"{snippets}\n",
    }[where]
    app = hub_with(tmp_path, text)
    assert app.tornado_settings["slow_spawn_timeout"] == 5  # the operator's settings kept
    if where == "unset":
        assert lands(app, admin=True) == "/services/workshop/"
        assert lands(app, groups=("hubtypes-instructors",)) == "/services/workshop/"
        assert lands(app, groups=("workshop-py",)) == ""  # the hub's default: spawn
        assert "default_url" not in app.config.JupyterHub
    else:
        assert app.default_url == "/hub/home"
        assert lands(app, admin=True) == "/hub/home"
        assert lands(app, groups=("workshop-py",)) == "/hub/home"


def test_an_operators_callable_default_url_is_called(tmp_path):
    snippets = load(SUBCONFIG)
    app = hub_with(
        tmp_path,
        "c.JupyterHub.default_url = lambda handler: '/hub/custom/' + handler.base_url\n" + snippets,
    )
    assert lands(app, admin=True) == "/hub/custom//"
