# hubtypes: the workshop service (instructors' accounts, lifecycle, admins' resets).
#
# Load after 10-hubtypes-workshop.py (the workshop login it serves); without it, or
# before it, this file changes nothing and says so. hubtypes' database: $HUBTYPES_DB_URL
# (or c.HubTypesDatabase.url, where this file can see it). The service listens on
# http://127.0.0.1:10101, on Kubernetes on all interfaces and routed as http://hub:10101
# (the proxy is another pod); set $HUBTYPES_WORKSHOP_SERVICE_URL to change that.
# c.WorkshopGrants.* (how the hub's authenticator names people) reach the service, a process
# of its own, as --WorkshopGrants.<trait>=<value> options, where this file can see them:
# set before it in the same namespace (Zero-to-JupyterHub's hub.config). Under
# load_subconfig this file's `c` is a fresh config that cannot see them: put them in the
# service's own config file (hubtypes_workshop_config.py in the hub's working directory).
#
# Works under every loader, which all provide `c` (the config to fill in): exec'd by
# Zero-to-JupyterHub in its namespace (where `get_config` is the chart's get_config(key),
# so this file never calls it), load_subconfig'd by TLJH or a plain jupyterhub_config.py.


def _hubtypes_workshop_service(c):
    import os
    import sys

    from hubtypes._data import add_templates_to
    from hubtypes.services.workshop import hub_config
    from hubtypes.spawner.dropin import (
        claim,
        claimed,
        complain,
        database_environment,
        loopback_hub_api,
        on_kubernetes,
    )

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    name = hub_config.SERVICE_NAME
    login = "authenticator_class" in c.JupyterHub and str(
        c.JupyterHub.authenticator_class
    ).lower() in ("workshop", "hubtypes.auth.workshop.workshopauthenticator")
    if claimed("login") is None and not login:
        complain(
            me,
            "loaded before 10-hubtypes-workshop.py, or without it: the workshop service "
            "serves the workshop login, so nothing changed. Load 10-hubtypes-workshop.py "
            "first (jupyterhub_config.d loads files in name order; keep the 10-/30- names).",
        )
        return
    first = claim("workshop-service", me)
    if first is not None:
        complain(me, f"loaded again (first by {first[0]}); nothing changed. Load it once.")
        return

    kube = on_kubernetes()
    default_url = "http://hub:10101" if kube else "http://127.0.0.1:10101"
    url = os.environ.get("HUBTYPES_WORKSHOP_SERVICE_URL", default_url)
    command = [sys.executable, "-m", "hubtypes.services.workshop"]
    if kube:
        # the proxy is its own pod: listen on all interfaces, not only on `url`'s host
        command.append("--ip=0.0.0.0")
    # the hub's API over loopback where the hub listens on all interfaces (Z2JH)
    command += loopback_hub_api(c)
    # how the hub names people, for the grants the service checks (one key=value option
    # per entry of a dict such as username_map, as traitlets takes a Dict on the command line)
    grants = c.WorkshopGrants if "WorkshopGrants" in c else {}
    for trait, value in sorted(grants.items()):
        if hasattr(value, "get_value"):  # a lazy .update() of the map
            value = value.get_value({})
        if isinstance(value, dict):
            command += [f"--WorkshopGrants.{trait}={k}={v}" for k, v in value.items()]
        else:
            command.append(f"--WorkshopGrants.{trait}={value}")
    # hubtypes' database, in the service's environment (see database_environment), and
    # for the authenticator in this hub process too
    environment = database_environment(c)
    if environment:
        c.HubTypesDatabase.url = environment["HUBTYPES_DB_URL"]

    services = c.JupyterHub.services if "services" in c.JupyterHub else []
    if any(s.get("name") == name for s in (services if isinstance(services, list) else [])):
        complain(
            me,
            f"a service named {name!r} is already configured (Zero-to-JupyterHub: "
            f"hub.services.{name}?); it is kept as it is and this file adds its roles and "
            "scopes only. Remove the other definition to use this file's.",
        )
    else:
        c.JupyterHub.services.append(
            {
                "name": name,
                "display": True,
                "url": url,
                "command": command,
                "environment": environment,
                # the custom scopes reach the service's OAuth tokens only if listed here
                "oauth_client_allowed_scopes": [hub_config.ADMIN_SCOPE, hub_config.INSTRUCT_SCOPE],
                # part of the hub, not a third party: no "authorize access?" page
                "oauth_no_confirm": True,
            }
        )
    c.JupyterHub.custom_scopes.update(hub_config.CUSTOM_SCOPES)
    # The service authorises by the custom scopes of each request's token. Instructors
    # get theirs through a role on `hubtypes-instructors`, hub admins through a role on
    # `hubtypes-admins` (the hub's own `admin` role cannot be given more scopes); the
    # post-auth hook below keeps both groups in step with each login.
    roles = c.JupyterHub.load_roles if "load_roles" in c.JupyterHub else []
    known = {r.get("name") for r in roles} if isinstance(roles, list) else set()
    c.JupyterHub.load_roles.extend([r for r in hub_config.roles() if r["name"] not in known])

    # Instructors get the role above through one static group, added at login by a hook
    # on the workshop authenticator. It calls the operator's c.Authenticator.post_auth_hook
    # (read when it runs, so set before or after this file, by any loader) or a
    # c.WorkshopAuthenticator.post_auth_hook set before this file. (On an OAuth hub,
    # WorkshopAccessMixin keeps the same group for instructor grants at each login itself.)
    section = c.WorkshopAuthenticator
    earlier = section.post_auth_hook if "post_auth_hook" in section else None

    def operators_hook(authenticator, handler, authentication):
        hook = earlier or authenticator.config.Authenticator.get("post_auth_hook")
        return hook(authenticator, handler, authentication) if hook else authentication

    c.WorkshopAuthenticator.post_auth_hook = hub_config.post_auth_hook(operators_hook)

    # Hub admins and instructors land on the workshop pages after login, not on a server
    # they did not ask for; participants keep the hub's default. A c.JupyterHub.default_url
    # of the operator's, set before this file or after it, wins for everyone. It is not
    # overwritten: under load_subconfig this file's `c` is a fresh Config merged over the
    # operator's (traitlets' PyFileConfigLoader.load_subconfig), so a check here could not
    # see one set before. The landing goes in the hub's tornado settings instead, which
    # handlers read `default_url` from (jupyterhub/handlers/base.py, 5.5.1 and 6.1.1),
    # and it reads the operator's from the hub's config at each request. `.update`
    # merges into settings of the operator's under every loader.
    c.JupyterHub.tornado_settings.update({"default_url": hub_config.landing_url(name)})

    # the admin page's Workshops panel (share/hubtypes/templates/admin.html); the login
    # snippet put the same folder on the template path already
    if claimed("login") is None:
        add_templates_to(c)
    c.JupyterHub.template_vars.update({"hubtypes_workshop_service": name})


_hubtypes_workshop_service(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_workshop_service
