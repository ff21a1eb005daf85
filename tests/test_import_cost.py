"""JupyterHub imports every registered entry point (e.g. for --help-all), so importing
the authenticator must add nothing but hubtypes' own small modules to what the hub has."""

import subprocess
import sys

SCRIPT = """
import sys
import jupyterhub.app
before = set(sys.modules)
import hubtypes.auth.workshop
print("\\n".join(sorted(set(sys.modules) - before)))
"""


def test_authenticator_import_adds_only_hubtypes_modules():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert "hubtypes.auth.workshop" in out
    assert [m for m in out if not m.startswith("hubtypes")] == []
    # no command line, services or spawner backends come along
    assert not [m for m in out if m.startswith(("hubtypes.cli", "hubtypes.services"))]
