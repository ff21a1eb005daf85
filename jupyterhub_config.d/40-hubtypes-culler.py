# hubtypes: the culler service (idle and age culling by hub type, dry run, status, metrics).
#
# Replaces jupyterhub-idle-culler: on Zero-to-JupyterHub set `cull.enabled: false`, on TLJH
# `sudo tljh-config set services.cull.enabled False`. The service listens on
# http://127.0.0.1:10102, on Kubernetes on all interfaces and routed as http://hub:10102
# (the proxy is another pod).
#
# Environment (set before the hub starts, e.g. hub.extraEnv):
#   HUBTYPES_DB_URL                hubtypes' database (as for the spawner and workshop service)
#   HUBTYPES_CULLER_URL            where the service is routed (default as above)
#   HUBTYPES_CULLER_DELETE_USERS   "false": never delete users (and no admin:users scope)
#   HUBTYPES_CULLER_CHECK_BUSY     "false": no busy-kernel check (and no access:servers scope)
#   HUBTYPES_CULLER_ARGS           extra command-line options, e.g. "--timeout=1800 --dry-run"
#
# Works under every loader, which all provide `c` (the config to fill in): exec'd by
# Zero-to-JupyterHub in its namespace (where `get_config` is the chart's get_config(key),
# so this file never calls it), load_subconfig'd by TLJH or a plain jupyterhub_config.py.
# Everything happens in one function, so nothing leaks into the chart's namespace.


def _hubtypes_culler(c):
    import os
    import shlex
    import sys
    from urllib.parse import urlparse

    from hubtypes._data import add_templates_to
    from hubtypes.services.culler import hub_config
    from hubtypes.spawner.dropin import (
        claim,
        complain,
        database_environment,
        loopback_hub_api,
        on_kubernetes,
    )

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    first = claim("culler", me)
    if first is not None:
        complain(me, f"loaded again (first by {first[0]}); nothing changed. Load it once.")
        return

    def flag(name):
        value = os.environ.get(name, "").strip().lower()
        return not value or value in ("1", "true", "yes", "on")

    delete_users, check_busy = (
        flag("HUBTYPES_CULLER_DELETE_USERS"),
        flag("HUBTYPES_CULLER_CHECK_BUSY"),
    )
    kube = on_kubernetes()
    url = os.environ.get(
        "HUBTYPES_CULLER_URL", "http://hub:10102" if kube else "http://127.0.0.1:10102"
    )
    command = [sys.executable, "-m", "hubtypes.services.culler"]
    if kube or urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        # the proxy reaches the service by a name: listen on all interfaces
        command.append("--ip=0.0.0.0")
    if not delete_users:
        command.append("--cull-users=false")
    if not check_busy:
        command.append("--check-busy=false")
    command += loopback_hub_api(c)  # where the hub listens on all interfaces (Z2JH)
    # the same hub type as the spawner, where this file can see it (TLJH: the plugin's)
    for trait in ("default_hub_type", "unassigned_hub_type"):
        if trait in c.HubTypeSpawnerMixin:
            command.append(f"--CullerService.{trait}={c.HubTypeSpawnerMixin[trait]}")
    command += shlex.split(os.environ.get("HUBTYPES_CULLER_ARGS", ""))

    environment = database_environment(c)  # never the command line: the hub logs it

    name = hub_config.SERVICE_NAME
    services = c.JupyterHub.services if "services" in c.JupyterHub else []
    if any(s.get("name") == name for s in (services if isinstance(services, list) else [])):
        complain(me, f"a service named {name!r} is already configured; it is kept as it is.")
    else:
        c.JupyterHub.services.append(
            {
                "name": name,
                "display": True,  # in the Services menu, for admins (who hold access:services)
                "url": url,
                "command": command,
                "environment": environment,
                "oauth_no_confirm": True,
                # an admin's login token for the status page carries what it needs to read
                "oauth_client_allowed_scopes": list(hub_config.STATUS_SCOPES),
            }
        )
    roles = c.JupyterHub.load_roles if "load_roles" in c.JupyterHub else []
    known = {r.get("name") for r in roles} if isinstance(roles, list) else set()
    c.JupyterHub.load_roles.extend(
        [
            r
            for r in hub_config.roles(delete_users=delete_users, check_busy=check_busy)
            if r["name"] not in known
        ]
    )

    # a link on the admin page (share/hubtypes/templates/admin.html)
    add_templates_to(c)
    c.JupyterHub.template_vars.update({"hubtypes_culler_service": name})


_hubtypes_culler(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_culler
