# hubtypes: a binder hub's storage: a throw-away home that is deleted when the server stops.
#
# Works three ways:
#   - Zero-to-JupyterHub: put it in /usr/local/etc/jupyterhub/jupyterhub_config.d/
#     (exec'd in the hub config's namespace, where `c` and `get_config` exist);
#   - The Littlest JupyterHub: put it in /opt/tljh/config/jupyterhub_config.d/
#     (loaded with load_subconfig);
#   - a plain jupyterhub_config.py: load_subconfig("/path/to/20-hubtypes-spawner-binder.py").
c = get_config()  # noqa: F821 (provided by the traitlets config loader)

from hubtypes.spawner.dropin import on_kubernetes, use_hubtypes_spawner  # noqa: E402

use_hubtypes_spawner(c)

c.HubTypeSpawnerMixin.default_hub_type = "binder"
# {storage_root}/binder/{user}: deleted on stop and on user deletion (local, Docker);
# an emptyDir on Kubernetes, which goes with the pod.
c.HubTypeSpawnerMixin.storage_root = "/srv/hubtypes"

if on_kubernetes():
    # No per-user PVCs on a binder hub.
    c.KubeSpawner.storage_pvc_ensure = False
