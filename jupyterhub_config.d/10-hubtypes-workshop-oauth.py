# hubtypes: workshop grants on a hub whose login is OAuth (GitHub, CILogon, Google, any OIDC).
#
# Load INSTEAD of 10-hubtypes-workshop.py, after setting the authenticator to one with
# workshop grants, e.g. c.JupyterHub.authenticator_class = "workshop-github" (see
# docs/workshop-oauth.md), then 30-hubtypes-workshop-service.py. Works under every loader
# (Zero-to-JupyterHub's hub.extraFiles, TLJH's jupyterhub_config.d, load_subconfig), which
# all provide `c`; everything happens in one function.


def _hubtypes_oauth_login(c):
    from hubtypes._data import add_templates_to
    from hubtypes.spawner.dropin import claim, complain

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    first = claim("login", me)
    if first is not None:
        complain(me, f"loaded again (first by {first[0]}); nothing changed. Load it once.")
        return
    # A guest's session ends at the workshop's lock at their next auth refresh: ask the
    # authenticator again at most every 60 s (the hub's default is 300) and before a spawn.
    # Community members are refreshed by the provider's own rules, as before.
    c.Authenticator.auth_refresh_age = 60
    c.Authenticator.refresh_pre_spawn = True
    # Workshop servers are named servers beside a community member's default one.
    c.JupyterHub.allow_named_servers = True
    # The home page lists the workshop server with its dates (share/hubtypes/templates).
    add_templates_to(c)


_hubtypes_oauth_login(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_oauth_login
