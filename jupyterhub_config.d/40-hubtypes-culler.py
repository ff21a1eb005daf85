# hubtypes: the culler service (idle and age culling by hub type, dry run, status, metrics).
#
# Replaces jupyterhub-idle-culler: on Zero-to-JupyterHub set `cull.enabled: false`, on TLJH
# `sudo tljh-config set services.cull.enabled False`. Works when exec'd by
# Zero-to-JupyterHub, loaded by TLJH's load_subconfig, or from a plain jupyterhub_config.py
# with load_subconfig("/path/to/40-hubtypes-culler.py"): `c` is provided by each loader, so
# this file does not call get_config() (on Zero-to-JupyterHub that name is the chart's).
#
# Environment (set before the hub starts, e.g. hub.extraEnv):
#   HUBTYPES_DB_URL                hubtypes' database (as for the spawner and workshop service)
#   HUBTYPES_CULLER_URL            where the service listens, default http://127.0.0.1:10102
#                                  (Zero-to-JupyterHub: http://hub:10102, then it listens on
#                                  all interfaces)
#   HUBTYPES_CULLER_DELETE_USERS   "false": never delete users (and no admin:users scope)
#   HUBTYPES_CULLER_CHECK_BUSY     "false": no busy-kernel check (and no access:servers scope)
#   HUBTYPES_CULLER_ARGS           extra command-line options, e.g. "--timeout=1800 --dry-run"
import ipaddress  # noqa: E402
import os  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

from hubtypes.services.culler import hub_config as _culler  # noqa: E402


def _env_flag(name, default=True):
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in ("1", "true", "yes", "on")


_delete_users = _env_flag("HUBTYPES_CULLER_DELETE_USERS")
_check_busy = _env_flag("HUBTYPES_CULLER_CHECK_BUSY")
_url = os.environ.get("HUBTYPES_CULLER_URL", "http://127.0.0.1:10102")
_args = [sys.executable, "-m", "hubtypes.services.culler"]
try:
    ipaddress.ip_address(urlparse(_url).hostname or "")
except ValueError:  # routed by a name (http://hub:10102): the proxy is elsewhere
    _args.append("--ip=0.0.0.0")
if not _delete_users:
    _args.append("--cull-users=false")
if not _check_busy:
    _args.append("--check-busy=false")

# the same database and hub type as the spawner, when this file can see them (not in TLJH,
# whose snippets each get a fresh config: there $HUBTYPES_DB_URL is the way)
_db = os.environ.get("HUBTYPES_DB_URL") or (
    c.HubTypesDatabase.url if "url" in c.HubTypesDatabase else ""  # noqa: F821
)
if _db:
    if _db.startswith("sqlite:///") and not _db.startswith("sqlite:////"):
        _db = "sqlite:///" + os.path.abspath(_db[len("sqlite:///") :])
    _args.append(f"--HubTypesDatabase.url={_db}")
for _trait in ("default_hub_type", "unassigned_hub_type"):
    if _trait in c.HubTypeSpawnerMixin:  # noqa: F821
        _args.append(f"--CullerService.{_trait}={c.HubTypeSpawnerMixin[_trait]}")  # noqa: F821
_args += shlex.split(os.environ.get("HUBTYPES_CULLER_ARGS", ""))

c.JupyterHub.services.append(  # noqa: F821
    {
        "name": _culler.SERVICE_NAME,
        "display": True,  # in the Services menu, for admins (who hold access:services)
        "url": _url,
        "command": _args,
        "oauth_no_confirm": True,
    }
)
c.JupyterHub.load_roles.extend(  # noqa: F821
    _culler.roles(delete_users=_delete_users, check_busy=_check_busy)
)
