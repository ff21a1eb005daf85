"""The culler's command line, configuration errors and drop-in snippet (no hub needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from hubtypes._data import config_d_dir
from hubtypes.services.culler.app import CullerService
from hubtypes.services.culler.hub_config import BASE_SCOPES
from hubtypes.spawner.dropin import forget_claims

SNIPPET = config_d_dir() / "40-hubtypes-culler.py"


def app(*argv: str) -> CullerService:
    CullerService.clear_instance()
    a = CullerService()
    a.initialize(list(argv))
    return a


@pytest.mark.parametrize(
    "argv,cull_users,remove",
    [
        (["--cull-users"], True, None),  # bare, which idle-culler 2.0.0 rejects
        (["--cull-users=true"], True, None),
        (["--cull-users=false", "--remove-named-servers"], False, True),
        (["--cull_users=True", "--remove-named-servers=false"], True, False),
    ],
)
def test_idle_culler_booleans_bare_and_valued(argv, cull_users, remove, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app(*argv)
    assert (a.cull_users, a.remove_named_servers) == (cull_users, remove)


def test_idle_culler_options_mean_the_same(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = app("--timeout=1200", "--cull-every=30", "--concurrency=20", "--max-age=7200",
            "--cull-users", "--api-page-size=100", "--cull-admin-users=true")  # fmt: skip
    config = a.cull_config()
    assert {p.idle_timeout for p in config.policies.values()} == {1200}
    assert {p.max_age for p in config.policies.values()} == {7200}
    deletes = {k for k, p in config.policies.items() if p.delete_user}
    assert deletes == {"workshop-participant", "binder"}  # never community
    assert (a.interval(config), a.concurrency, a.api_page_size) == (30, 20, 100)
    # unset: each kind's own, and an automatic interval
    b = app()
    assert b.interval(b.cull_config()) == 300
    # stops are bounded apart from requests, as the workshop service's
    assert (b.concurrency, b.stop_concurrency) == (10, 64)
    assert app("--stop-concurrency=5").stop_concurrency == 5
    assert b.cull_config().policies["binder"].max_age == 6 * 3600


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--timeout=0"], "c.CullerService.timeout (--timeout) must be more than 0"),
        (["--timeout=3600", "--max-age=60"], "c.CullerService.max_age (--max-age=60) is below"),
        (["--concurrency=0"], "c.CullerService.concurrency"),
        (["--stop-concurrency=0"], "c.CullerService.stop_concurrency (--stop-concurrency)"),
        (["--api-page-size=500"], "c.CullerService.api_page_size"),
        (['--CullerService.policies={"cloud": {}}'], "policies['cloud']: unknown kind"),
        (["--CullerService.profiles=['gpu']", '--CullerService.profile_overrides={"cpu": {}}'],
         "profile_overrides['cpu']: unknown profile"),
    ],
)  # fmt: skip
def test_bad_configuration_names_the_trait(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as e:
        app(*argv).cull_config()
    assert message in str(e.value)


def test_a_bad_configuration_stops_the_service_at_start(tmp_path):
    env = {"JUPYTERHUB_API_TOKEN": "not-a-real-token", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(__file__).parents[3])}  # fmt: skip
    cmd = [sys.executable, "-m", "hubtypes.services.culler", "--timeout=-5"]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "c.CullerService.timeout (--timeout) must be more than 0" in r.stderr
    assert "not-a-real-token" not in r.stderr


def test_generate_config_writes_every_option(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[3])}
    cmd = [sys.executable, "-m", "hubtypes.services.culler", "--generate-config"]
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "hubtypes_culler_config.py").read_text()
    for trait in ("timeout", "policies", "profile_overrides", "dry_run", "check_busy"):
        assert f"# c.CullerService.{trait} =" in text
    again = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "use -y to overwrite" in again.stderr


def _services_and_roles(c: Config) -> tuple[list, list]:
    def value(v):  # appended-to lists are lazy until the hub applies them
        return v.get_value([]) if hasattr(v, "get_value") else list(v)

    return value(c.JupyterHub.services), value(c.JupyterHub.load_roles)


def load_plain(tmp_path: Path) -> Config:
    """A plain jupyterhub_config.py (and TLJH's loop, one load_subconfig per snippet in a
    fresh config: the-littlest-jupyterhub, tljh/jupyterhub_config.py at
    e0aaa4f99564954dd107318bfff687ab6a9b93b4) through traitlets' own PyFileConfigLoader."""
    main = tmp_path / "jupyterhub_config.py"
    main.write_text(f"c = get_config()\nload_subconfig({str(SNIPPET)!r})\n")
    return PyFileConfigLoader(main.name, path=str(tmp_path)).load_config()


def load_z2jh(tmp_path: Path) -> Config:
    """Zero-to-JupyterHub's loop, as in jupyterhub/zero-to-jupyterhub-k8s,
    jupyterhub/files/hub/jupyterhub_config.py at cbdd5403877b47bbeeed8b5b21bdbf3bc3b93e2a:
    each jupyterhub_config.d/*.py is ``exec(compile(...))``'d in the config's namespace, where
    ``c`` exists and ``get_config`` is the chart's ``get_config(key, default=None)``."""
    c = Config()

    def get_config(key, default=None):  # the chart's signature: a key is required
        return default

    c.HubTypeSpawnerMixin.default_hub_type = "binder"
    namespace = {"c": c, "get_config": get_config}
    source = SNIPPET.read_text()
    exec(compile(source=source, filename=SNIPPET.name, mode="exec"), namespace)
    return c


@pytest.fixture(autouse=True)
def _fresh_snippet_claims():
    """Each test is a new hub: forget which snippets this process has loaded."""
    forget_claims()
    yield
    forget_claims()


def test_snippet_loaded_twice_changes_nothing_the_second_time(tmp_path, capsys):
    c = load_z2jh(tmp_path)
    source = SNIPPET.read_text()
    exec(compile(source, SNIPPET.name, "exec"), {"c": c})
    services, roles = _services_and_roles(c)
    assert [s["name"] for s in services] == ["culler"] and len(roles) == 1
    assert "loaded again" in capsys.readouterr().err


@pytest.mark.parametrize("loader", [load_plain, load_z2jh])
def test_snippet_registers_a_least_privilege_service(loader, tmp_path, monkeypatch):
    monkeypatch.setenv("HUBTYPES_DB_URL", "sqlite:///rel.sqlite")
    monkeypatch.setenv("HUBTYPES_CULLER_URL", "http://hub:10102")
    monkeypatch.setenv("HUBTYPES_CULLER_ARGS", "--timeout=1800 --dry-run")
    c = loader(tmp_path)
    (service,), (role,) = _services_and_roles(c)
    assert service["name"] == "culler" and service["url"] == "http://hub:10102"
    cmd = service["command"]
    assert cmd[1:3] == ["-m", "hubtypes.services.culler"]
    assert "--ip=0.0.0.0" in cmd and cmd[-2:] == ["--timeout=1800", "--dry-run"]
    # the database URL (it may hold a password) goes in the environment: the hub logs commands
    assert service["environment"] == {"HUBTYPES_DB_URL": f"sqlite:///{Path.cwd() / 'rel.sqlite'}"}
    assert not any("sqlite" in part for part in cmd)
    assert role["services"] == ["culler"]
    assert role["scopes"] == [*BASE_SCOPES, "admin:users", "access:servers"]
    assert "admin" not in service
    if loader is load_z2jh:  # it sees the spawner's hub type there
        assert "--CullerService.default_hub_type=binder" in cmd


def test_snippet_drops_scopes_it_does_not_need(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBTYPES_CULLER_DELETE_USERS", "false")
    monkeypatch.setenv("HUBTYPES_CULLER_CHECK_BUSY", "no")
    (service,), (role,) = _services_and_roles(load_plain(tmp_path))
    assert role["scopes"] == BASE_SCOPES
    assert "--cull-users=false" in service["command"]
    assert "--check-busy=false" in service["command"]
    assert "--ip=0.0.0.0" not in service["command"]
    code = [line for line in SNIPPET.read_text().splitlines() if not line.startswith("#")]
    assert not any("get_config(" in line for line in code)
