# hubtypes: the workshop service (instructors' accounts, lifecycle, admins' resets).
#
# Load after 10-hubtypes-workshop.py. Set hubtypes' database URL in $HUBTYPES_DB_URL
# (or c.HubTypesDatabase.url before this snippet when it is exec'd). Works when exec'd
# by Zero-to-JupyterHub, loaded by TLJH's load_subconfig, or from a plain
# jupyterhub_config.py with load_subconfig("/path/to/30-hubtypes-workshop-service.py").
# Change the service's port with the environment variable HUBTYPES_WORKSHOP_SERVICE_URL.
import os  # noqa: E402
import sys  # noqa: E402

from hubtypes._data import add_templates_to  # noqa: E402
from hubtypes.services.workshop import hub_config  # noqa: E402

c = get_config()  # noqa: F821 (provided by the traitlets config loader)

_args = [sys.executable, "-m", "hubtypes.services.workshop"]
# The service must open the hub's hubtypes database. A snippet loaded with
# load_subconfig (TLJH) cannot see settings made in other files, so the URL comes
# from $HUBTYPES_DB_URL (also the `hubtypes` command's default) if set, else from
# c.HubTypesDatabase.url if this snippet can see it, else both use the default
# file in the hub's working directory (the service runs there too).
_url = os.environ.get("HUBTYPES_DB_URL") or (
    c.HubTypesDatabase.url if "url" in c.HubTypesDatabase else ""
)
if _url:
    if _url.startswith("sqlite:///") and not _url.startswith("sqlite:////"):
        # a relative SQLite path is relative to the hub's directory: make it absolute
        _url = "sqlite:///" + os.path.abspath(_url[len("sqlite:///") :])
    c.HubTypesDatabase.url = _url
    _args.append(f"--HubTypesDatabase.url={_url}")

c.JupyterHub.services.append(
    {
        "name": hub_config.SERVICE_NAME,
        "display": True,
        "url": os.environ.get("HUBTYPES_WORKSHOP_SERVICE_URL", "http://127.0.0.1:10101"),
        "command": _args,
        # the custom scopes reach the service's OAuth tokens only if listed here
        "oauth_client_allowed_scopes": [hub_config.ADMIN_SCOPE, hub_config.INSTRUCT_SCOPE],
        # part of the hub, not a third party: no "authorize access?" page on first visit
        "oauth_no_confirm": True,
    }
)
c.JupyterHub.custom_scopes.update(hub_config.CUSTOM_SCOPES)
c.JupyterHub.load_roles.extend(hub_config.roles())

# instructors get the role above through one static group, added at login
_previous_hook = c.Authenticator.post_auth_hook if "post_auth_hook" in c.Authenticator else None
c.Authenticator.post_auth_hook = hub_config.post_auth_hook(_previous_hook)

# the admin page's Workshops panel (share/hubtypes/templates/admin.html)
add_templates_to(c)
c.JupyterHub.template_vars.update({"hubtypes_workshop_service": hub_config.SERVICE_NAME})
