"""The workshop service as an operator runs it by hand: --generate-config, logging, --help."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

from hubtypes.services.base import HUB_LOG_FORMAT
from hubtypes.services.workshop.app import WorkshopService

COMMAND = [sys.executable, "-m", "hubtypes.services.workshop"]


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=60
    )


def test_generate_config_writes_then_refuses_to_overwrite_without_y(tmp_path):
    first = run("--generate-config", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    written = tmp_path / "hubtypes_workshop_config.py"
    text = written.read_text()
    assert "c.WorkshopService.lifecycle_interval" in text
    assert "c.HubServiceApp.ip" in text and "c.HubTypesDatabase.url" in text
    written.write_text("# the operator's own settings\n")
    # no terminal to ask on (CI, a script): refused, the file is kept
    again = run("--generate-config", cwd=tmp_path, stdin="")
    assert again.returncode == 1
    assert "use -y to overwrite" in again.stderr
    assert written.read_text() == "# the operator's own settings\n"
    forced = run("--generate-config", "-y", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "c.WorkshopService.lifecycle_interval" in written.read_text()


def test_generate_config_to_a_named_file(tmp_path):
    r = run("--generate-config", "--config=ops.py", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "ops.py").exists()


def test_logs_at_info_in_the_hubs_format_and_routes_hubtypes_loggers(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    app = WorkshopService()
    app.initialize([])
    try:
        assert app.log_level == logging.INFO
        assert app.log_format == HUB_LOG_FORMAT
        logging.getLogger("hubtypes.services.workshop").info("reset done")
        logging.getLogger("hubtypes.services.workshop").debug("not shown")
        err = capsys.readouterr().err
        assert "hubtypes-workshop-service 0.2" in err
        assert re.search(
            r"\[I [\d-]+ [\d:.]+ hubtypes\.services\.workshop test_service_app:\d+\] reset done",
            err,
        ), err
        assert "not shown" not in err
        assert logging.getLogger("hubtypes").parent is app.log
        assert logging.getLogger("tornado").parent is app.log
    finally:
        WorkshopService.clear_instance()


def test_no_token_is_one_clear_line(tmp_path):
    r = subprocess.run(
        COMMAND,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert r.returncode == 1
    assert "No hub API token" in r.stderr


def test_bad_group_sync_settings_stop_the_service_naming_the_trait(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "JUPYTERHUB_API_TOKEN": "x"}
    for arg, says in [
        ("--WorkshopService.group_sync_burst_delay=-1",
         "c.WorkshopService.group_sync_burst_delay must be 0 (never wait) or more seconds"),
        ("--WorkshopService.group_sync_interval=0",
         "c.WorkshopService.group_sync_interval must be more than 0 seconds"),
    ]:  # fmt: skip
        r = subprocess.run([*COMMAND, arg], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60, env=env)  # fmt: skip
        assert r.returncode == 1, (arg, r.stderr)
        assert says in r.stderr, r.stderr
