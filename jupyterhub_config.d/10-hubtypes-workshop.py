# hubtypes: a workshop hub's login.
#
# Works three ways:
#   - Zero-to-JupyterHub: put it in /usr/local/etc/jupyterhub/jupyterhub_config.d/
#     (exec'd in the hub config's namespace, where `c` and `get_config` exist);
#   - The Littlest JupyterHub: put it in /opt/tljh/config/jupyterhub_config.d/
#     (loaded with load_subconfig);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/10-hubtypes-workshop.py").
c = get_config()  # noqa: F821 (provided by the traitlets config loader)

# Log in with username + access code from hubtypes' database.
c.JupyterHub.authenticator_class = "workshop"

# End sessions soon after an account locks: the hub asks the authenticator again
# at most every 60 s, and strict mode (JupyterHub >= 6.1) applies that to API
# tokens and single-user servers too, not only to the hub's cookie.
c.Authenticator.auth_refresh_age = 60
c.Authenticator.auth_refresh_strict = True
c.Authenticator.refresh_pre_spawn = True

# The login page with the access-code field (extends the hub's own login.html).
from hubtypes._data import add_templates_to  # noqa: E402

add_templates_to(c)
