"""A hub without the optional spawners' packages starts, lists its choices, and says which
extra a chosen-but-missing spawner needs.

JupyterHub loads *every* ``jupyterhub.spawners``/``jupyterhub.authenticators`` entry point
to list them (``JupyterHub._load_classes`` in ``jupyterhub/app.py``, which skips only what
raises an ``Exception``), and loads the chosen one when it validates ``spawner_class``
(``EntryPointType.validate`` in ``jupyterhub/traitlets.py``). Read in jupyterhub/jupyterhub
at tag 5.5.1 (commit 4b520710d97766554b76e43839d16b2e22d1735f) and at commit
2841153db6c1c25d8b50955e2f4b39f78f3d0119 (6.0.0b2), the same in both; 6.1.1's installed
``app.py`` has the same loop.

Each check runs twice: in this interpreter with kubespawner, dockerspawner and
oauthenticator made unimportable (``sys.modules[name] = None``), and in the virtualenv
``.ci/run`` builds with the README's own install command (``$HUBTYPES_README_VENV``), where
they are simply not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import skip_or_fail

OPTIONAL = ("kubespawner", "dockerspawner", "oauthenticator")
BLOCK = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in OPTIONAL)

BUILD_HUB = """
import importlib.util
from jupyterhub.app import JupyterHub
missing = [m for m in {optional!r} if importlib.util.find_spec(m) is not None]
assert missing == [], f"importable here, the test means nothing: {{missing}}"
app = JupyterHub()
names = sorted(c.__name__ for c in app.classes)
print("\\n".join(names), "--- end of classes ---", sep="\\n", flush=True)
"""
# what the `jupyterhub` console script runs (jupyterhub.app:main)
MAIN = "from jupyterhub.app import main\nsys.exit(main())\n"


@dataclass(frozen=True)
class Python:
    """An interpreter in which the optional packages cannot be imported."""

    executable: str
    block: bool  # make them unimportable first (else: they are not installed)

    def run(self, code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        if not self.block:
            env.pop("PYTHONPATH", None)  # the venv's installed hubtypes, as users have it
        prefix = BLOCK if self.block else "import sys\n"
        return subprocess.run(
            [self.executable, "-c", prefix + code, *args],
            capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
        )  # fmt: skip


@pytest.fixture(params=["blocked", "readme-venv"])
def python(request: pytest.FixtureRequest) -> Python:
    if request.param == "blocked":
        return Python(sys.executable, block=True)
    venv = os.environ.get("HUBTYPES_README_VENV", "")
    if not venv:
        skip_or_fail("HUBTYPES_README_VENV is not set: `bash .ci/run` builds that venv")
    return Python(str(Path(venv) / "bin" / "python"), block=False)


def test_jupyterhub_builds_and_help_all_lists_every_entry_point(python, tmp_path):
    # as `jupyterhub --help-all` does it, after building a JupyterHub() in the same process
    code = BUILD_HUB.format(optional=OPTIONAL) + "sys.argv[1:] = ['--help-all']\n" + MAIN
    r = python.run(code, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    classes = set(r.stdout.split("--- end of classes ---")[0].split())
    assert {"WorkshopAuthenticator", "HubTypesSimpleSpawner", "HubTypesLocalSpawner"} <= classes
    assert not {"HubTypesKubeSpawner", "HubTypesDockerSpawner"} & classes
    for name in ("hubtypes-simple", "hubtypes-local", "hubtypes-kube", "hubtypes-docker"):
        assert f"- {name}: hubtypes.spawner.entrypoints." in r.stdout
    assert "- workshop: hubtypes.auth.workshop.WorkshopAuthenticator" in r.stdout
    assert "--WorkshopAuthenticator.code_label" in r.stdout
    # the OAuth classes (the `oauth` extra) are listed, and skipped as classes
    assert not {"WorkshopGitHubOAuthenticator", "WorkshopGenericOAuthenticator"} & classes
    for name in ("github", "generic", "cilogon", "google"):
        assert f"- workshop-{name}: hubtypes.auth.oauth." in r.stdout


def test_the_oauth_module_imports_and_names_the_extra_when_a_class_is_asked_for(python, tmp_path):
    code = (
        "import hubtypes.auth.oauth as oauth\n"
        "from hubtypes.auth.access_mixin import WorkshopAccessMixin\n"
        "assert oauth.WorkshopAccessMixin is WorkshopAccessMixin\n"
        "from hubtypes.spawner import MissingDependency\n"
        "try:\n"
        "    oauth.WorkshopGitHubOAuthenticator\n"
        "except MissingDependency as e:\n"
        "    print(e)\n"
    )
    r = python.run(code, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "WorkshopGitHubOAuthenticator needs oauthenticator, which is not installed" in r.stdout
    assert "its 'oauth' extra: pip install 'hubtypes[oauth] @ " in r.stdout


@pytest.mark.parametrize(("trait", "spawner", "extra", "package"), [
    ("spawner_class", "hubtypes-kube", "kube", "kubespawner"),
    ("spawner_class", "hubtypes-docker", "docker", "dockerspawner"),
    ("authenticator_class", "workshop-github", "oauth", "oauthenticator"),
    ("authenticator_class", "workshop-google", "oauth", "oauthenticator"),
])  # fmt: skip
def test_choosing_a_spawner_without_its_package_names_the_extra(
    python, tmp_path, trait, spawner, extra, package
):
    config = tmp_path / "jupyterhub_config.py"
    config.write_text(f"c = get_config()  # noqa\nc.JupyterHub.{trait} = {spawner!r}\n")
    r = python.run(MAIN, "-f", str(config), cwd=tmp_path)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert f"needs {package}, which is not installed" in out, out[-3000:]
    assert f"its {extra!r} extra: pip install 'hubtypes[{extra}] @ " in out
    # it stopped while reading its config: nothing was started or written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jupyterhub_config.py"]
