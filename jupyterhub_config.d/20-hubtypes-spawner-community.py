# hubtypes: a community hub's storage (long-lived homes, kept when a user is deleted).
#
# Works under every loader, which all provide `c` (the config to fill in):
#   - Zero-to-JupyterHub: in /usr/local/etc/jupyterhub/jupyterhub_config.d/ (exec'd in the
#     chart's namespace after it set KubeSpawner; `get_config` there is the chart's own);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/20-hubtypes-spawner-community.py")
#     (a fresh config: set c.JupyterHub.spawner_class = "hubtypes-..." yourself if the
#     spawner is not LocalProcessSpawner);
#   - The Littlest JupyterHub: use the hubtypes TLJH plugin instead; this file then
#     changes nothing (it cannot see TLJH's spawner) and says so.
# Anyone who belongs to a workshop in hubtypes' database still gets workshop storage.


def _hubtypes_storage(c):
    from hubtypes.spawner.dropin import (
        on_kubernetes,
        storage_snippet_may_run,
        use_hubtypes_spawner,
    )

    me = (lambda: None).__code__.co_filename  # this file, as its loader compiled it
    if not storage_snippet_may_run(me, "community"):
        return
    # LocalProcessSpawner -> hubtypes-local, KubeSpawner -> hubtypes-kube, DockerSpawner ->
    # hubtypes-docker (the same spawner, plus hub-type-aware storage).
    use_hubtypes_spawner(c)

    c.HubTypeSpawnerMixin.default_hub_type = "community"
    # Homes live in {storage_root}/community/{user} (local and Docker hubs).
    c.HubTypeSpawnerMixin.storage_root = "/srv/hubtypes"
    # Community homes are never deleted by hubtypes; to archive them instead when an
    # admin deletes a user (they are then removed after archiving):
    # c.HubTypeSpawnerMixin.policy_overrides = {"community": {"on_delete": "archive"}}

    if on_kubernetes():
        # Per-user PVCs, created and kept by KubeSpawner (the chart's default storage).
        c.HubTypesKubeSpawner.kube_home_storage = "pvc"


_hubtypes_storage(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_storage
