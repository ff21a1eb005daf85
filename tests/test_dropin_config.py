"""The workshop drop-in snippet, loaded into a real hub the ways hubs load snippets."""

import pytest
import requests

from hubtypes._data import config_d_dir

pytestmark = pytest.mark.hub

SNIPPET = config_d_dir() / "10-hubtypes-workshop.py"

LOADERS = {
    # a plain jupyterhub_config.py, and The Littlest JupyterHub's jupyterhub_config.d
    "load_subconfig": f"load_subconfig({str(SNIPPET)!r})",
    # Zero-to-JupyterHub execs every jupyterhub_config.d/*.py in its config's namespace
    # (jupyterhub/files/hub/jupyterhub_config.py; the full replica is tests/install/)
    "z2jh-exec": (
        f"with open({str(SNIPPET)!r}) as f:\n"
        f"    exec(compile(f.read(), {str(SNIPPET)!r}, 'exec'))\n"
    ),
}


def test_the_snippet_exists_and_names_no_hub_internals():
    text = SNIPPET.read_text()
    assert 'authenticator_class = "workshop"' in text
    assert "import jupyterhub" not in text


def test_snippet_makes_a_workshop_hub(real_hub_factory, tmp_path):
    # a snippet that set template_paths before ours must keep its entry
    earlier = "c.JupyterHub.template_paths = ['/nonexistent/operator-templates']\n"
    tail = (
        f"c.HubTypesDatabase.url = 'sqlite:///{tmp_path}/hubtypes.sqlite'\n"
        "print('refresh', c.Authenticator.auth_refresh_age,"
        " 'templates', list(c.JupyterHub.template_paths), flush=True)\n"
    )
    hub = real_hub_factory(LOADERS["load_subconfig"] + "\n" + tail, start=False)
    for name, loader in LOADERS.items():
        hub.config = earlier + loader + "\n" + tail
        hub.restart() if hub.running else hub.start()
        page = requests.get(hub.url + "hub/login", timeout=30).text
        assert "Access code:" in page, name
        log = hub.log_text().split("===== realhub start")[-1]
        assert "Using Authenticator: hubtypes.auth.workshop.WorkshopAuthenticator" in log, name
        assert "refresh 60 templates" in log, name
        assert "/nonexistent/operator-templates" in log, name
