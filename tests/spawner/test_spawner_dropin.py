"""Entry points, cheap imports, the missing-dependency message and the drop-in snippets."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from traitlets.config import Config

from hubtypes.spawner import HubTypeSpawnerMixin
from hubtypes.spawner.dropin import hubtypes_spawner_for

SNIPPETS = sorted(
    (Path(__file__).parents[2] / "jupyterhub_config.d").glob("20-hubtypes-spawner-*.py")
)


def test_every_config_trait_has_help():
    from hubtypes.spawner.docker import HubTypesDockerSpawner
    from hubtypes.spawner.kube import HubTypesKubeSpawner

    traits = HubTypeSpawnerMixin.class_traits(config=True)
    assert len(traits) >= 10
    ours = dict(traits)
    for cls in (HubTypesKubeSpawner, HubTypesDockerSpawner):
        ours.update({n: t for n, t in cls.class_own_traits(config=True).items()})
    assert {"kube_shared_volume", "docker_host_root"} <= set(ours)
    for name, trait in ours.items():
        assert trait.help and len(trait.help) > 20, name


def test_entry_points_load_our_classes():
    from jupyterhub.app import JupyterHub

    names = {e.name for e in entry_points(group="jupyterhub.spawners")}
    assert {"hubtypes-simple", "hubtypes-local", "hubtypes-kube", "hubtypes-docker"} <= names
    hub = JupyterHub()
    for name, base in [
        ("hubtypes-simple", "SimpleLocalProcessSpawner"),
        ("hubtypes-local", "LocalProcessSpawner"),
        ("hubtypes-kube", "KubeSpawner"),
        ("hubtypes-docker", "DockerSpawner"),
    ]:
        hub.spawner_class = name
        mro = [c.__name__ for c in hub.spawner_class.__mro__]
        assert mro[1] == "HubTypeSpawnerMixin" and base in mro


def test_import_is_cheap_and_a_missing_dependency_names_its_extra(tmp_path):
    code = (
        "import sys; import hubtypes.spawner, hubtypes.spawner.entrypoints; "
        "assert 'kubespawner' not in sys.modules and 'dockerspawner' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    # only a hub configured to use the missing spawner fails, and it says which extra
    hub = (
        "import sys; sys.modules['kubespawner'] = None\n"
        "from jupyterhub.app import main\n"
        "sys.argv = ['jupyterhub', '--JupyterHub.spawner_class=hubtypes-kube']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", hub], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    last = result.stderr.strip().splitlines()[-1].strip()
    assert last.startswith("hubtypes.spawner.MissingDependency: HubTypesKubeSpawner needs "), last
    assert "'kube' extra" in last and "pip install 'hubtypes[kube]" in last
    with pytest.raises(ImportError, match="kube"):
        import hubtypes.spawner as spawners

        sys.modules["kubespawner"] = None  # type: ignore[assignment]
        try:
            spawners._cache.pop("HubTypesKubeSpawner", None)
            sys.modules.pop("hubtypes.spawner.kube", None)
            spawners.HubTypesKubeSpawner  # noqa: B018
        finally:
            del sys.modules["kubespawner"]


@pytest.mark.parametrize(
    "current, kube, expected",
    [
        (None, False, "hubtypes-local"),
        (None, True, "hubtypes-kube"),
        ("kubespawner.KubeSpawner", True, "hubtypes-kube"),
        ("dockerspawner.DockerSpawner", False, "hubtypes-docker"),
        ("docker", False, "hubtypes-docker"),
        ("simple", False, "hubtypes-simple"),
        ("jupyterhub.spawner.LocalProcessSpawner", False, "hubtypes-local"),
        ("hubtypes-simple", False, "hubtypes-simple"),
        ("systemdspawner.SystemdSpawner", False, None),
    ],
)
def test_spawner_family_table(current, kube, expected):
    assert hubtypes_spawner_for(current, on_kubernetes=kube) == expected


def test_snippets_are_tested_under_every_loader():
    """The snippets under Z2JH's, TLJH's and a plain config's loaders, and their bad input,
    are tested from replicas of those loaders in tests/install/test_snippet_loaders.py."""
    here = Path(__file__).parents[1] / "install" / "test_snippet_loaders.py"
    assert here.is_file() and len(SNIPPETS) == 3


def test_snippet_leaves_unsupported_spawner_alone(capsys):
    from hubtypes.spawner.dropin import use_hubtypes_spawner

    c = Config()
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    assert use_hubtypes_spawner(c) is None
    assert c.JupyterHub.spawner_class == "systemdspawner.SystemdSpawner"
    assert "no hub-type-aware version" in capsys.readouterr().err
