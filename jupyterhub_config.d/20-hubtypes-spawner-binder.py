# hubtypes: a binder hub's storage: a throw-away home that is deleted when the server stops.
#
# Works under every loader, which all provide `c` (the config to fill in):
#   - Zero-to-JupyterHub: in /usr/local/etc/jupyterhub/jupyterhub_config.d/ (exec'd in the
#     chart's namespace after it set KubeSpawner; `get_config` there is the chart's own);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/20-hubtypes-spawner-binder.py")
#     (a fresh config: set c.JupyterHub.spawner_class = "hubtypes-..." yourself if the
#     spawner is not LocalProcessSpawner);
#   - The Littlest JupyterHub: use the hubtypes TLJH plugin instead; this file then
#     changes nothing (it cannot see TLJH's spawner) and says so.


def _hubtypes_storage(c):
    from hubtypes.spawner.dropin import (
        on_kubernetes,
        storage_snippet_may_run,
        use_hubtypes_spawner,
    )

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    if not storage_snippet_may_run(me, "binder"):
        return
    use_hubtypes_spawner(c)

    c.HubTypeSpawnerMixin.default_hub_type = "binder"
    # {storage_root}/binder/{user}: deleted on stop and on user deletion (local, Docker);
    # an emptyDir on Kubernetes, which goes with the pod.
    c.HubTypeSpawnerMixin.storage_root = "/srv/hubtypes"

    if on_kubernetes():
        # No per-user PVCs on a binder hub.
        c.KubeSpawner.storage_pvc_ensure = False


_hubtypes_storage(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_storage
