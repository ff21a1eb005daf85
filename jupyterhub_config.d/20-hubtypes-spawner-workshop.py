# hubtypes: a workshop hub's storage: per-workshop homes, materials and shared folders.
#
# Works under every loader, which all provide `c` (the config to fill in):
#   - Zero-to-JupyterHub: in /usr/local/etc/jupyterhub/jupyterhub_config.d/ (exec'd in the
#     chart's namespace after it set KubeSpawner; `get_config` there is the chart's own);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/20-hubtypes-spawner-workshop.py")
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
    if not storage_snippet_may_run(me, "workshop"):
        return
    use_hubtypes_spawner(c)

    c.HubTypeSpawnerMixin.default_hub_type = "workshop"
    # The hub's own admins belong to no workshop: they keep a home under community/,
    # which a workshop reset never touches ("binder" or "refuse" are the alternatives).
    c.HubTypeSpawnerMixin.unassigned_hub_type = "community"
    # {storage_root}/workshops/{workshop}/{user}, .../_materials, .../_shared
    c.HubTypeSpawnerMixin.storage_root = "/srv/hubtypes"
    # When the hub deletes a participant: archive the home (tar.gz + manifest), then
    # delete it. To delete without archiving:
    # c.HubTypeSpawnerMixin.policy_overrides = {"workshop": {"on_delete": "delete"}}
    c.HubTypeSpawnerMixin.archive_root = "/srv/hubtypes-archive"

    if on_kubernetes():
        # Materials and shared folders are subPaths of one ReadWriteMany volume (NFS);
        # create this PVC before the first workshop, or name yours before this file.
        if "kube_shared_volume" not in c.HubTypesKubeSpawner:
            c.HubTypesKubeSpawner.kube_shared_volume = {
                "persistentVolumeClaim": {"claimName": "hubtypes-shared"}
            }
        # Homes on that volume too, removed by a short-lived cleanup pod on deletion
        # ("pvc" keeps one PVC per participant, named hubtypes-{workshop}.{user}).
        c.HubTypesKubeSpawner.kube_home_storage = "shared-volume"


_hubtypes_storage(c)  # noqa: F821 (`c` is given by every loader)
del _hubtypes_storage
