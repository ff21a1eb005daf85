# hubtypes: a community hub's storage (long-lived homes, kept when a user is deleted).
#
# Works three ways:
#   - Zero-to-JupyterHub: put it in /usr/local/etc/jupyterhub/jupyterhub_config.d/
#     (exec'd in the hub config's namespace, where `c` and `get_config` exist);
#   - The Littlest JupyterHub: put it in /opt/tljh/config/jupyterhub_config.d/
#     (loaded with load_subconfig);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/20-hubtypes-spawner-community.py").
# Anyone who belongs to a workshop in hubtypes' database still gets workshop storage.
c = get_config()  # noqa: F821 (provided by the traitlets config loader)

from hubtypes.spawner.dropin import on_kubernetes, use_hubtypes_spawner  # noqa: E402

# LocalProcessSpawner -> hubtypes-local, KubeSpawner -> hubtypes-kube, DockerSpawner ->
# hubtypes-docker (the same spawner, plus hub-type-aware storage).
use_hubtypes_spawner(c)

c.HubTypeSpawnerMixin.default_hub_type = "community"
# Homes live in {storage_root}/community/{user} (local and Docker hubs).
c.HubTypeSpawnerMixin.storage_root = "/srv/hubtypes"
# Community homes are never deleted by hubtypes; uncomment to archive them instead
# when an admin deletes a user (they are then removed after archiving):
# c.HubTypeSpawnerMixin.policy_overrides = {"community": {"on_delete": "archive"}}

if on_kubernetes():
    # Per-user PVCs, created and kept by KubeSpawner (the chart's default storage).
    c.HubTypesKubeSpawner.kube_home_storage = "pvc"
