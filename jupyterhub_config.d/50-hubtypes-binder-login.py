# hubtypes: a binder hub's login: anonymous visitors get a server with no account
# (jupyterhub-tmpauthenticator: hubtypes' `binder` extra,
# `pip install 'hubtypes[binder] @ <hubtypes source or wheel>'`).
#
# Load with 20-hubtypes-spawner-binder.py (a home that lives one session) and
# 40-hubtypes-culler.py (deletes a visitor once their servers are gone, stops servers past
# their max age). Instead of 10-hubtypes-workshop.py (a hub has one login): the name
# starts with 50- so it is loaded after the others, whose defaults it does not depend on.
#
# Environment (set before the hub starts, e.g. hub.extraEnv):
#   HUBTYPES_BINDER_SPAWN_LIMIT    servers starting at once (c.JupyterHub.concurrent_spawn_limit)
#   HUBTYPES_BINDER_SERVER_LIMIT   servers running at once (c.JupyterHub.active_server_limit)
# Without them, a limit set before this file (Zero-to-JupyterHub: hub.concurrentSpawnLimit,
# hub.activeServerLimit) is kept, else the defaults below apply: 10 starting, 50 running.
#
# Works under every loader, which all provide `c` (the config to fill in): exec'd by
# Zero-to-JupyterHub in its namespace (where `get_config` is the chart's get_config(key),
# so this file never calls it), load_subconfig'd by TLJH or a plain jupyterhub_config.py.
# Everything happens in one function, so nothing leaks into the chart's namespace.


def _hubtypes_binder_login(c):
    import importlib.util
    import os

    from hubtypes.spawner.dropin import claim, complain

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    first = claim("login", me, "binder")
    if first is not None:
        complain(me, f"{os.path.basename(first[0])} already set this hub's login; nothing "
                 "changed. Keep one login snippet.")  # fmt: skip
        return

    # tmpauthenticator: /hub/tmplogin makes a new user with a random (uuid4) name and logs
    # the browser in; the hub's login page sends visitors there (its auto_login default).
    c.JupyterHub.authenticator_class = "tmp"
    if importlib.util.find_spec("tmpauthenticator") is None:
        # the hub then stops at start, rather than run with another login
        from hubtypes.spawner import INSTALL_HINT

        hint = INSTALL_HINT.format(extra="binder")
        complain(me, f"jupyterhub-tmpauthenticator is not installed: {hint}")
    # JupyterHub >= 5 lets nobody in without an allow rule; letting anyone in is the point
    c.TmpAuthenticator.allow_all = True

    # Anyone can start a server here, so the hub bounds how many start and run at once; a
    # visitor over the limit gets JupyterHub's "try again in a few minutes" (429).
    limits = {
        "concurrent_spawn_limit": ("HUBTYPES_BINDER_SPAWN_LIMIT", 10),
        "active_server_limit": ("HUBTYPES_BINDER_SERVER_LIMIT", 50),
    }
    for trait, (variable, default) in limits.items():
        given = os.environ.get(variable, "").strip()
        if given:
            if not given.isdigit():
                complain(me, f"${variable} must be a whole number (0: no limit), not "
                         f"{given!r}; using {default}")  # fmt: skip
                given = str(default)
            c.JupyterHub[trait] = int(given)
        elif trait not in c.JupyterHub:
            c.JupyterHub[trait] = default


_hubtypes_binder_login(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_binder_login
