"""The Zero-to-JupyterHub recipe: each ``share/hubtypes/z2jh/values-*.yaml`` against the
chart's schema rules that matter, and the hub config those values produce.

Chart: jupyterhub/zero-to-jupyterhub-k8s tag 4.4.0 (5c5f5df751588a68a7781ead01d0f62e88e2e72f);
the parts used here are unchanged at main 48ea50e34daddde55d76e30df6ecd47e4abd4d8e.

- :data:`SCHEMA` encodes rules of ``jupyterhub/values.schema.yaml`` (a draft-07 JSON
  schema; the chart packages it as ``values.schema.json`` and Helm validates values with
  it): ``additionalProperties: false`` at the root, on ``hub``, ``hub.image`` (required
  ``name``, ``tag``), ``hub.service``, ``hub.networkPolicy``/``proxy.chp.networkPolicy``
  (the ``&networkPolicy-spec`` anchor), ``singleuser.storage`` and ``cull``; ``hub.extraFiles``
  entries: ``additionalProperties: false``, ``required: [mountPath]`` and ``oneOf``
  ``data``/``stringData``/``binaryData``; the types of ``hub.service.extraPorts``,
  ``networkPolicy.ingress``/``egress`` (arrays), ``hub.services``/``hub.loadRoles``
  (objects), ``singleuser.storage.type`` (``dynamic``/``static``/``none``). The ``required``
  lists the chart's own ``values.yaml`` satisfies (``hub.baseUrl``,
  ``singleuser.storage.homeMountPath``, ...) are left out: a values file is validated after
  it is merged into those defaults. ``extraPorts`` items get the shape the schema's
  description asks for (``name``, ``port``, ``targetPort``), which
  ``templates/hub/service.yaml`` renders as Service ports as they are.
- The hub config is built by the chart's config logic replica in ``install_loaders.py``
  (``jupyterhub/files/hub/jupyterhub_config.py`` and ``z2jh.py``) with a ``get_config``
  reading the values file, the ``hub.extraFiles`` written where the hub pod mounts them.

Run ``python tests/install/test_z2jh_values.py --write`` to copy the current snippets into
the values files' ``stringData`` after changing a snippet.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from install_loaders import SNIPPETS, load_z2jh  # noqa: E402

from hubtypes.spawner.dropin import forget_claims  # noqa: E402

RECIPE = Path(__file__).parents[2] / "share" / "hubtypes" / "z2jh"
VALUES = sorted(RECIPE.glob("values-*.yaml"))
CONFIG_D = "/usr/local/etc/jupyterhub/jupyterhub_config.d"

_NETWORK_POLICY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "ingress": {"type": "array"},
        "egress": {"type": "array"},
        "egressAllowRules": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                k: {"type": "boolean"}
                for k in (
                    "cloudMetadataServer",
                    "dnsPortsCloudMetadataServer",
                    "dnsPortsKubeSystemNamespace",
                    "dnsPortsPrivateIPs",
                    "nonPrivateIPs",
                    "privateIPs",
                )
            },
        },
        "interNamespaceAccessLabels": {"enum": ["accept", "ignore"]},
        "allowedIngressPorts": {"type": "array"},
    },
}
_ANY = {}  # a key the schema knows whose value these files do not set
_HUB_KEYS = (
    "revisionHistoryLimit config extraFiles baseUrl command args cookieSecret image "
    "networkPolicy db labels initContainers extraEnv extraConfig fsGid service pdb "
    "existingSecret nodeSelector tolerations activeServerLimit allowNamedServers annotations "
    "authenticatePrometheus concurrentSpawnLimit consecutiveFailureLimit podSecurityContext "
    "containerSecurityContext deploymentStrategy extraContainers extraVolumeMounts "
    "extraVolumes livenessProbe readinessProbe namedServerLimitPerUser redirectToServer "
    "resources lifecycle services loadRoles shutdownOnLogout templatePaths templateVars "
    "serviceAccount extraPodSpec"
).split()
SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{
            k: _ANY
            for k in (
                "enabled fullnameOverride nameOverride imagePullSecret imagePullSecrets "
                "scheduling ingress httpRoute prePuller custom debug rbac global"
            ).split()
        },
        "hub": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **{k: _ANY for k in _HUB_KEYS},
                "config": {
                    "type": "object",
                    "additionalProperties": False,
                    "patternProperties": {
                        "^[A-Z].*$": {"type": "object", "additionalProperties": True}
                    },
                },
                "image": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "tag"],
                    "properties": {
                        "name": {"type": "string"},
                        "tag": {"type": "string"},
                        "pullPolicy": {"enum": [None, "", "IfNotPresent", "Always", "Never"]},
                        "pullSecrets": {"type": "array"},
                    },
                },
                "extraFiles": {
                    "type": "object",
                    "additionalProperties": False,
                    "patternProperties": {
                        ".*": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["mountPath"],
                            "oneOf": [
                                {"required": ["data"]},
                                {"required": ["stringData"]},
                                {"required": ["binaryData"]},
                            ],
                            "properties": {
                                "mountPath": {"type": "string"},
                                "data": {"type": "object", "additionalProperties": True},
                                "stringData": {"type": "string"},
                                "binaryData": {"type": "string"},
                                "mode": {"type": "number"},
                            },
                        }
                    },
                },
                "extraEnv": {"type": ["object", "array"], "additionalProperties": True},
                "extraConfig": {"type": "object"},
                "service": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        **{
                            k: _ANY
                            for k in "type ports annotations loadBalancerIP ipFamilyPolicy "
                            "ipFamilies".split()
                        },
                        "extraPorts": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["name", "port", "targetPort"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "port": {"type": "integer"},
                                    "targetPort": {"type": ["integer", "string"]},
                                    "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
                                },
                            },
                        },
                    },
                },
                "networkPolicy": _NETWORK_POLICY,
                "services": {
                    "type": "object",
                    "additionalProperties": True,
                    "properties": {
                        "name": {"type": "string"},
                        "admin": {"type": "boolean"},
                        "command": {"type": ["string", "array"]},
                        "url": {"type": "string"},
                        "api_token": {"type": ["string", "null"]},
                        "apiToken": {"type": ["string", "null"]},
                    },
                },
                "loadRoles": {"type": "object", "additionalProperties": True},
            },
        },
        "proxy": {
            "type": "object",
            "properties": {
                "chp": {"type": "object", "properties": {"networkPolicy": _NETWORK_POLICY}}
            },
        },
        "singleuser": {
            "type": "object",
            "properties": {
                "storage": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        **{
                            k: _ANY
                            for k in "dynamic extraLabels extraVolumeMounts extraVolumes "
                            "homeMountPath static".split()
                        },
                        "capacity": {"type": ["string", "null"]},
                        "type": {"enum": ["dynamic", "static", "none"]},
                    },
                }
            },
        },
        "cull": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                **{k: {"type": ["boolean", "null"]} for k in ("users", "adminUsers")},
                "removeNamedServers": {"type": ["boolean", "null"]},
                **{
                    k: {"type": ["integer", "null"]}
                    for k in ("timeout", "every", "concurrency", "maxAge")
                },
            },
        },
    },
}


def sync_snippets(text: str) -> str:
    """``text`` with each ``stringData`` under a ``mountPath: .../jupyterhub_config.d/X.py``
    replaced by the current ``jupyterhub_config.d/X.py``."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        mount = re.match(rf"\s*mountPath: {CONFIG_D}/(\S+\.py)\s*$", lines[i])
        data = re.match(r"(\s*)stringData: \|\s*$", lines[i + 1]) if mount else None
        if mount is None or data is None:
            i += 1
            continue
        out.append(lines[i + 1])
        indent = data.group(1) + "  "
        i += 2
        while i < len(lines) and (lines[i].startswith(indent) or not lines[i].strip()):
            i += 1
        body = (SNIPPETS / mount.group(1)).read_text().splitlines()
        out += [(indent + line).rstrip() + "\n" for line in body]
    return "".join(out)


def values_of(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    for name in ("HUBTYPES_WORKSHOP_SERVICE_URL", "HUBTYPES_DB_URL"):
        monkeypatch.delenv(name, raising=False)
    forget_claims()
    yield
    forget_claims()


def test_there_is_a_values_file_per_hub_type():
    assert [p.name for p in VALUES] == [
        "values-binder.yaml",
        "values-community.yaml",
        "values-workshop.yaml",
    ]
    dockerfile = (RECIPE / "Dockerfile").read_text()
    assert "FROM quay.io/jupyterhub/k8s-hub:${CHART_VERSION}" in dockerfile
    assert "ARG CHART_VERSION=4.4.0" in dockerfile
    for path in VALUES:
        assert "--version 4.4.0" in path.read_text(), path.name


@pytest.mark.parametrize("path", VALUES, ids=lambda p: p.name)
def test_values_pass_the_charts_schema_rules(path):
    values = values_of(path)
    jsonschema.validate(values, SCHEMA)
    hub = values["hub"]
    assert hub["image"]["name"] and hub["image"]["tag"]
    for key, entry in hub["extraFiles"].items():
        assert entry["mountPath"].startswith(CONFIG_D + "/"), key
        assert entry["stringData"].strip(), key


@pytest.mark.parametrize("path", VALUES, ids=lambda p: p.name)
def test_the_snippets_in_the_values_are_the_shipped_ones(path):
    text = path.read_text()
    assert sync_snippets(text) == text, (
        f"{path.name}: a snippet changed; run python tests/install/test_z2jh_values.py --write"
    )


def test_the_schema_rules_reject_what_the_chart_rejects():
    no_content = {"hub": {"extraFiles": {"x": {"mountPath": f"{CONFIG_D}/x.py"}}}}
    two_contents = {"hub": {"extraFiles": {"x": {"mountPath": "/a", "data": {}, "stringData": ""}}}}
    for bad in (
        no_content,  # the old docs' example
        two_contents,
        {"hub": {"service": {"extraPort": []}}},
        {"hub": {"networkPolicy": {"ingres": []}}},
        {"hub": {"networkPolicy": {"ingress": {"from": []}}}},
        {"hub": {"image": {"name": "x"}}},
        {"cull": {"enabled": "no"}},
        {"hub": {"config": {"loadRoles": {}}}},  # the chart's own example of a misplaced key
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)


def hub_config(path: Path, tmp: Path, monkeypatch: Any) -> Any:
    from jupyterhub.app import JupyterHub

    c = load_z2jh(tmp, monkeypatch, values=values_of(path))
    return c, JupyterHub(config=c)


def test_workshop_values_make_a_workshop_hub(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUBTYPES_DB_URL", "postgresql+psycopg2://hubtypes:pw@postgres/hubtypes")
    c, hub = hub_config(RECIPE / "values-workshop.yaml", tmp_path, monkeypatch)
    err = capsys.readouterr().err
    assert "hubtypes:" not in err and "Traceback" not in err, err
    assert hub.authenticator_class.__name__ == "WorkshopAuthenticator"
    assert hub.spawner_class.__name__ == "HubTypesKubeSpawner"
    assert c.HubTypeSpawnerMixin.default_hub_type == "workshop"
    assert c.HubTypesKubeSpawner.kube_home_storage == "shared-volume"
    assert c.KubeSpawner.volumes == {}  # singleuser.storage.type none: hubtypes mounts
    (service,) = [s for s in hub.services if s["name"] == "workshop"]
    # hubtypes' culler, not the chart's (cull.enabled: false)
    assert [s["name"] for s in hub.services] == ["workshop", "culler"]
    (culler,) = [s for s in hub.services if s["name"] == "culler"]
    assert culler["url"] == "http://hub:10102" and "--ip=0.0.0.0" in culler["command"]
    assert "--CullerService.default_hub_type=workshop" in culler["command"]
    assert culler["environment"]["HUBTYPES_DB_URL"].startswith("postgresql+psycopg2://")
    assert service["url"] == "http://hub:10101"
    assert "--ip=0.0.0.0" in service["command"]
    assert service["environment"]["HUBTYPES_DB_URL"].startswith("postgresql+psycopg2://")
    assert {"hubtypes-workshop-service", "hubtypes-workshop-instructor"} <= {
        r["name"] for r in hub.load_roles
    }
    # the port the service listens on is the one the Service and the policies open
    values = values_of(RECIPE / "values-workshop.yaml")
    ports = [int(s["url"].rsplit(":", 1)[1]) for s in (service, culler)]
    extra = values["hub"]["service"]["extraPorts"]
    assert [(e["port"], e["targetPort"]) for e in extra] == [(p, p) for p in ports]
    (ingress,) = values["hub"]["networkPolicy"]["ingress"]
    assert ingress["ports"] == [{"port": p, "protocol": "TCP"} for p in ports]
    proxy = {"app": "jupyterhub", "component": "proxy"}
    assert {"podSelector": {"matchLabels": proxy}} in ingress["from"]
    (egress,) = values["proxy"]["chp"]["networkPolicy"]["egress"]
    assert egress["ports"] == [{"port": p, "protocol": "TCP"} for p in ports]
    env = values["hub"]["extraEnv"]["HUBTYPES_DB_URL"]
    assert set(env["valueFrom"]["secretKeyRef"]) == {"name", "key"}


@pytest.mark.parametrize(
    "name, hub_type, authenticator",
    [("community", "community", "github"), ("binder", "binder", "tmp")],
)
def test_community_and_binder_values(name, hub_type, authenticator, tmp_path, monkeypatch):
    from importlib.metadata import entry_points

    from jupyterhub.app import JupyterHub

    path = RECIPE / f"values-{name}.yaml"
    c = load_z2jh(tmp_path, monkeypatch, values=values_of(path))
    assert c.JupyterHub.authenticator_class == authenticator
    if authenticator not in {e.name for e in entry_points(group="jupyterhub.authenticators")}:
        # in the chart's hub image (oauthenticator, tmpauthenticator), not installed here
        c.JupyterHub.authenticator_class = "dummy"
    hub = JupyterHub(config=c)
    assert c.HubTypeSpawnerMixin.default_hub_type == hub_type
    assert hub.spawner_class.__name__ == "HubTypesKubeSpawner"
    # hubtypes' culler, with this hub's type; it never deletes community users itself
    assert [s["name"] for s in hub.services] == ["culler"]
    (culler,) = hub.services
    assert f"--CullerService.default_hub_type={hub_type}" in culler["command"]
    values = values_of(path)
    assert values["cull"] == {"enabled": False}
    assert [e["port"] for e in values["hub"]["service"]["extraPorts"]] == [10102]
    if hub_type == "community":
        assert c.KubeSpawner.storage_pvc_ensure is True  # the chart's dynamic storage
        assert c.HubTypesKubeSpawner.kube_home_storage == "pvc"
    else:
        assert c.KubeSpawner.storage_pvc_ensure is False


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        for p in VALUES:
            p.write_text(sync_snippets(p.read_text()))
            print(f"wrote {p}")
