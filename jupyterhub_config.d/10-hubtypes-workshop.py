# hubtypes: a workshop hub's login (username + access code from hubtypes' database).
#
# Works under every loader, which all provide `c` (the config to fill in):
#   - Zero-to-JupyterHub: in /usr/local/etc/jupyterhub/jupyterhub_config.d/ (hub.extraFiles
#     or the image); the chart exec's it in its own config's namespace, where `get_config`
#     is the chart's get_config(key), so this file never calls get_config();
#   - The Littlest JupyterHub: in /opt/tljh/config/jupyterhub_config.d/ (load_subconfig);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/10-hubtypes-workshop.py").
# Everything happens in one function, so nothing leaks into the chart's namespace.


def _hubtypes_login(c):
    from hubtypes._data import add_templates_to
    from hubtypes.spawner.dropin import claim, complain

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    first = claim("login", me)
    if first is not None:
        complain(me, f"loaded again (first by {first[0]}); nothing changed. Load it once.")
        return

    # Log in with username + access code from hubtypes' database.
    c.JupyterHub.authenticator_class = "workshop"
    # End sessions soon after an account locks: the hub asks the authenticator again at
    # most every 60 s and before each spawn. Strict mode (API tokens and single-user
    # servers too) is the authenticator's own default where the hub has it (>= 6.1).
    c.Authenticator.auth_refresh_age = 60
    c.Authenticator.refresh_pre_spawn = True

    # The login page with the access-code field (extends the hub's own login.html).
    add_templates_to(c)


_hubtypes_login(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_login
