"""Shared fixtures: a real JupyterHub, a real PostgreSQL server, a real browser.

Each one skips with a reason when what it needs is not installed, except under
CI (env ``CI`` set), where a skip would hide untested code: there it fails.
``bash .ci/run`` installs everything they need.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from realhub import HubFactory, RealHub, free_port
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from hubtypes.cli.chp import CHP_INSTALL_HINT, find_configurable_http_proxy

if TYPE_CHECKING:
    from playwright.async_api import Page

pytest_plugins = ["cpu_report"]  # --cpu-report DIR (.ci/run)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: the machines reach no network but the package registries.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PG_USER = "hubtypes"  # the trust-authenticated superuser of the test cluster
PG_DATABASE = "hubtypes_test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a test whose requirement is missing; fail instead under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI must run this test)", pytrace=False)
    pytest.skip(reason)


# --- a real JupyterHub ------------------------------------------------------


@pytest.fixture
def real_hub_factory(tmp_path: Path) -> Iterator[HubFactory]:
    """Makes (and by default starts) RealHubs in tmp_path; stops them all at teardown."""
    yield from _hub_factory(tmp_path)


@pytest.fixture(scope="module")
def module_hub_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubFactory]:
    """As `real_hub_factory`, for a hub the tests of one module share (each hub start
    costs seconds): only for tests that do not change the hub's config."""
    yield from _hub_factory(tmp_path_factory.mktemp("module-hub"))


def _hub_factory(tmp_path: Path) -> Iterator[HubFactory]:
    chp = find_configurable_http_proxy()
    if chp is None:
        skip_or_fail(CHP_INSTALL_HINT)
    hubs: list[RealHub] = []

    def factory(config: str = "", *, start: bool = True, debug: bool = True) -> RealHub:
        hub = RealHub(tmp_path / f"hub{len(hubs)}", config, chp=chp, debug=debug)
        hubs.append(hub)
        if start:
            hub.start()
        return hub

    yield factory
    errors: list[BaseException] = []
    for hub in hubs:
        try:
            # the test is over: its servers and services are killed before the hub stops,
            # which would stop each gently (a JupyterLab server's orderly shutdown is some
            # 0.6 s of CPU, and the suite leaves a few hundred running on two cores)
            hub.kill_leftovers()
            hub.stop()
            hub.kill_leftovers()
        except BaseException as e:  # stop the others all the same
            errors.append(e)
    if errors:
        raise errors[0]


# --- order: the longest tests first ----------------------------------------------

# .ci/run spreads test files over a few xdist workers (--dist loadfile, in collection order:
# --no-loadscope-reorder), so a long file collected last would run alone at the end. These
# go first, longest first: the files over 30 s of one worker in `.ci/run`'s CPU report
# (below), most of them waiting for idle timeouts, spawns and pages while the others run.
LONG_FILES = (
    "tests/spawner/test_peer_suite.py",  # JupyterHub's own spawner tests, two runs at once
    "tests/services/culler/test_culler_hub.py",
    "tests/spawner/test_spawner_operator_settings.py",
    "tests/services/workshop/test_lifecycle_faults.py",
    "tests/binder/test_binder_hub.py",
    "tests/services/culler/test_culler_faults.py",
    "tests/test_browser_participant.py",
    "tests/cli/test_demo.py",
    "tests/services/culler/test_culler_quiet.py",
    "tests/services/culler/test_culler_browser.py",
    "tests/services/workshop/test_browser_grants.py",
    "tests/services/workshop/test_grants_page_cli.py",
    "tests/cli/test_cli_remote.py",
)


@pytest.fixture(autouse=True)
def _loggers_back_under_root() -> Iterator[None]:
    """Undo a service app's log routing after each test.

    HubServiceApp._route_logs makes the "hubtypes" and "tornado" loggers children of the
    app's own logger, which does not propagate: right for a service process, but a test
    that runs an app in-process would leave every later test in that worker logging past
    caplog (seen in CI's xdist run: a kube test found its warning on stderr, not in caplog).
    """
    yield
    for name in ("hubtypes", "tornado"):
        logger = logging.getLogger(name)
        logger.parent = logging.getLogger()
        logger.setLevel(logging.NOTSET)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)  # stable: the rest keep their order


# --- a real PostgreSQL server -----------------------------------------------


def _run(cmd: list[str], cwd: Path) -> None:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def _admin_execute(url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) outside a transaction."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextmanager
def _local_postgres(bindir: Path) -> Iterator[str]:
    """A throw-away cluster on 127.0.0.1:<free port>; yields its server URL."""
    root = Path(tempfile.mkdtemp(prefix="hubtypes-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        shutil.chown(root, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    port = free_port()
    # Durability is pointless for a test cluster, and costs seconds.
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    pg_ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        _run(
            [*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", PG_USER]
            + ["-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            cwd=root,
        )
        _run([*pg_ctl, "-l", str(root / "postgres.log"), "-o", options, "-w", "start"], root)
        try:
            yield f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{port}/postgres"
        finally:
            _run([*pg_ctl, "-m", "fast", "-w", "stop"], cwd=root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database on a real PostgreSQL server, for the whole session.

    ``HUBTYPES_TEST_PG_URL`` names an existing one (its user must be allowed to
    create databases, for ``fresh_pg_url``); otherwise a local cluster is made.
    """
    existing = os.environ.get("HUBTYPES_TEST_PG_URL")
    if existing:
        yield existing
        return
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        skip_or_fail("PostgreSQL is not installed (apt-get install postgresql)")
    with _local_postgres(Path(initdbs[-1]).parent) as server_url:
        _admin_execute(server_url, f"CREATE DATABASE {PG_DATABASE}")
        yield _with_database(server_url, PG_DATABASE)


@pytest.fixture
def fresh_pg_url(pg_url: str) -> Iterator[str]:
    """URL of a new, empty database on the ``pg_url`` server, dropped after the test."""
    name = f"hubtypes_t_{uuid.uuid4().hex[:12]}"
    _admin_execute(pg_url, f"CREATE DATABASE {name}")
    try:
        yield _with_database(pg_url, name)
    finally:
        # FORCE ends connections the test left open (e.g. cached engines).
        _admin_execute(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hubtypes.sqlite'}"
    url: str = request.getfixturevalue("fresh_pg_url")
    return url


# --- a real browser ---------------------------------------------------------


@pytest.fixture
async def browser_page() -> AsyncIterator[Page]:
    """A Playwright page in headless Debian Chromium (the bundled browsers cannot be fetched)."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = await browser.new_page()
            page.set_default_timeout(15_000)  # fail fast instead of Playwright's 30 s
            yield page
        finally:
            await browser.close()
