# hubtypes: a workshop hub's storage: per-workshop homes, materials and shared folders.
#
# Works three ways:
#   - Zero-to-JupyterHub: put it in /usr/local/etc/jupyterhub/jupyterhub_config.d/
#     (exec'd in the hub config's namespace, where `c` and `get_config` exist);
#   - The Littlest JupyterHub: put it in /opt/tljh/config/jupyterhub_config.d/
#     (loaded with load_subconfig);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/20-hubtypes-spawner-workshop.py").
c = get_config()  # noqa: F821 (provided by the traitlets config loader)

from hubtypes.spawner.dropin import on_kubernetes, use_hubtypes_spawner  # noqa: E402

use_hubtypes_spawner(c)

c.HubTypeSpawnerMixin.default_hub_type = "workshop"
# The hub's own admins belong to no workshop: they keep a home under community/,
# which a workshop reset never touches ("binder" or "refuse" are the alternatives).
c.HubTypeSpawnerMixin.unassigned_hub_type = "community"
# {storage_root}/workshops/{workshop}/{user}, .../_materials, .../_shared
c.HubTypeSpawnerMixin.storage_root = "/srv/hubtypes"
# When the hub deletes a participant: archive the home (tar.gz + manifest), then delete it.
c.HubTypeSpawnerMixin.archive_root = "/srv/hubtypes-archive"
# To delete without archiving:
# c.HubTypeSpawnerMixin.policy_overrides = {"workshop": {"on_delete": "delete"}}

if on_kubernetes():
    # Materials and shared folders are subPaths of one ReadWriteMany volume (NFS);
    # create this PVC before the first workshop, or name yours here.
    if "kube_shared_volume" not in c.HubTypesKubeSpawner:
        c.HubTypesKubeSpawner.kube_shared_volume = {
            "persistentVolumeClaim": {"claimName": "hubtypes-shared"}
        }
    # Homes on that volume too, removed by a short-lived cleanup pod on deletion
    # ("pvc" keeps one PVC per participant, named hubtypes-{workshop}.{user}).
    c.HubTypesKubeSpawner.kube_home_storage = "shared-volume"
