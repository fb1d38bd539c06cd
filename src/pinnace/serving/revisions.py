"""What one predictor revision is: its pod template, Deployment and Service, as plain bodies.

Knative's role without Knative: every change of the predictor's pod (the model, its
runtime, resources, env...) is a new revision `<isvc>-predictor-<NNNNN>`, with a
Deployment `<revision>-deployment` of model-server pods and a Service `<revision>` on
port 80; `routing` sends traffic to those Services, `reconciling` decides which
revisions exist. Scaling and traffic (`minReplicas`, `canaryTrafficPercent`) are not
part of a revision: changing them edits the Deployment or the route, as in KServe.

The pod (`template`) is the selected runtime's containers — KServe's
`{{.Name}}`/`{{.Namespace}}`/`{{.Labels.k}}`/`{{.Annotations.k}}` placeholders filled,
the predictor's own container fields merged into the first one (args appended, env by
name, the rest replaced) — or, for a custom predictor, its own `containers`. A model
URI adds KServe's storage-initializer: an init container `[URI, /mnt/models]` writing
into a per-revision directory under the data dir (a hostPath volume every replica
mounts at `/mnt/models`), so the model is fetched once per revision, not per replica
(`storage.fetch_into`). `pvc://<claim>/<path>` mounts the claim at `/mnt/pvc` and copies
from there. The initializer's env carries the S3 credentials of the predictor's
ServiceAccount (`credentials`). A container without a readiness probe gets a TCP one on its port: the
model server opens its port only after the model has loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pinnace.api.views import inferenceservices
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.serving import runtimes

ISVC_LABEL = "serving.kserve.io/inferenceservice"
COMPONENT_LABEL = "component"
REVISION_LABEL = "serving.knative.dev/revision"
HASH_ANNOTATION = "serving.pinnace.dev/template-hash"
PREDICTOR = "predictor"
SERVER_CONTAINER = "kserve-container"
INITIALIZER = "storage-initializer"
INITIALIZER_IMAGE = "kserve/storage-initializer:latest"
MODEL_VOLUME = "kserve-provision-location"
MODEL_MOUNT = "/mnt/models"
PVC_VOLUME = "kserve-pvc-source"
PVC_MOUNT = "/mnt/pvc"
DEFAULT_PORT = 8080
SERVICE_PORT = 80
_REVISION = re.compile(r"^(?P<base>.+)-(?P<number>\d{5})$")
_PLACEHOLDER = re.compile(
    r"\{\{\s*\.(Name|Namespace|Labels\.([\w./-]+)|Annotations\.([\w./-]+))\s*\}\}"
)
_OWN_POD_FIELDS = ("containers", "initContainers", "volumes")
"""Predictor keys that are not PodSpec fields merged into the pod."""
_EXTENSION_KEYS = frozenset(
    {
        "minReplicas",
        "maxReplicas",
        "scaleTarget",
        "scaleMetric",
        "scaleMetricType",
        "containerConcurrency",
        "timeout",
        "canaryTrafficPercent",
        "logger",
        "batcher",
        "labels",
        "annotations",
        "deploymentStrategy",
        "autoScaling",
        "model",
        "workerSpec",
    }
)


def revision_name(isvc_name: str, number: int) -> str:
    return f"{isvc_name}-{PREDICTOR}-{number:05d}"


def number_of(revision: str) -> int:
    """The revision's number (`x-predictor-00003` → 3), 0 for a name that is not one."""
    match = _REVISION.match(revision)
    return int(match.group("number")) if match else 0


def deployment_name(revision: str) -> str:
    return f"{revision}-deployment"


@dataclass(frozen=True, slots=True)
class Template:
    """A revision's pod, before it has a name: what a new revision would run."""

    pod: Object
    """The PodTemplateSpec with `{revision}` where the revision's name goes."""
    hash: str
    port: int


def _fill(value: Any, isvc: Object) -> Any:
    meta = objects.meta(isvc)

    def one(match: re.Match[str]) -> str:
        if match.group(1) == "Name":
            return objects.name_of(isvc)
        if match.group(1) == "Namespace":
            return objects.namespace_of(isvc)
        if match.group(2):
            return str((meta.get("labels") or {}).get(match.group(2), ""))
        return str((meta.get("annotations") or {}).get(match.group(3), ""))

    if isinstance(value, str):
        return _PLACEHOLDER.sub(one, value)
    if isinstance(value, list):
        return [_fill(v, isvc) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, isvc) for k, v in value.items()}
    return value


def _merged(base: Object, override: Object) -> Object:
    """KServe's merge of the predictor's container into the runtime's."""
    out = objects.clone(base)
    for key, value in override.items():
        if key in ("storageUri", "runtime", "modelFormat", "protocolVersion", "runtimeVersion"):
            continue
        if key == "args":
            out["args"] = [*(out.get("args") or []), *value]
        elif key == "env":
            names = {e.get("name") for e in value}
            out["env"] = [e for e in out.get("env") or [] if e.get("name") not in names] + list(
                value
            )
        elif key == "name":
            continue
        else:
            out[key] = objects.clone(value)
    return out


def _port(container: Object) -> int:
    ports = container.get("ports") or []
    if ports and isinstance(ports[0], dict) and ports[0].get("containerPort"):
        return int(ports[0]["containerPort"])
    return DEFAULT_PORT


def _storage(pod: Object, uri: str, models_dir: Path, namespace: str, env: list[Object]) -> None:
    """KServe's storage-initializer: fetch once into the revision's directory."""
    source = uri
    parts = urllib.parse.urlsplit(uri)
    init_mounts: list[Object] = [{"name": MODEL_VOLUME, "mountPath": MODEL_MOUNT}]
    volumes: list[Object] = [
        {
            "name": MODEL_VOLUME,
            "hostPath": {
                "path": str(models_dir / namespace / "{revision}"),
                "type": "DirectoryOrCreate",
            },
        }
    ]
    if parts.scheme == "pvc":
        volumes.append(
            {
                "name": PVC_VOLUME,
                "persistentVolumeClaim": {"claimName": parts.netloc, "readOnly": True},
            }
        )
        init_mounts.append({"name": PVC_VOLUME, "mountPath": PVC_MOUNT, "readOnly": True})
        source = PVC_MOUNT + (parts.path or "/")
    pod["volumes"] = [*(pod.get("volumes") or []), *volumes]
    pod["initContainers"] = [
        *(pod.get("initContainers") or []),
        {
            "name": INITIALIZER,
            "image": INITIALIZER_IMAGE,
            "args": [source, MODEL_MOUNT],
            "volumeMounts": init_mounts,
            **({"env": env} if env else {}),
        },
    ]
    server = pod["containers"][0]
    server["volumeMounts"] = [
        *(server.get("volumeMounts") or []),
        {"name": MODEL_VOLUME, "mountPath": MODEL_MOUNT, "readOnly": True},
    ]


def _predictor_pod_fields(predictor: Object) -> Object:
    return {
        k: objects.clone(v)
        for k, v in predictor.items()
        if k not in _EXTENSION_KEYS and k not in _OWN_POD_FIELDS and k not in _frameworks(predictor)
    }


def _frameworks(predictor: Object) -> set[str]:
    return {k for k in inferenceservices.FRAMEWORKS if k in predictor}


def template(
    isvc: Object,
    *,
    runtime: runtimes.Runtime | None,
    model_fields: Object,
    storage_uri: str,
    models_dir: Path,
    storage_env: list[Object] | None = None,
) -> Template:
    """The pod a revision of `isvc` runs: `runtime`'s (with `model_fields` merged) or custom."""
    name, namespace = objects.name_of(isvc), objects.namespace_of(isvc)
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    labels: dict[str, str] = {
        **(objects.meta(isvc).get("labels") or {}),
        **(predictor.get("labels") or {}),
        ISVC_LABEL: name,
        COMPONENT_LABEL: PREDICTOR,
    }
    annotations: dict[str, str] = {**(predictor.get("annotations") or {})}
    pod: Object = _predictor_pod_fields(predictor)
    if runtime is not None:
        spec = _fill(objects.clone(runtime.spec), isvc)
        containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
        if not containers:
            raise runtimes.NoRuntime(f"{runtime.kind} {runtime.name} has no containers")
        containers[0] = _merged(containers[0], model_fields)
        containers[0]["name"] = containers[0].get("name") or SERVER_CONTAINER
        pod["containers"] = containers
        pod["volumes"] = [*(spec.get("volumes") or []), *(predictor.get("volumes") or [])]
        for key in ("nodeSelector", "tolerations", "affinity"):
            if key in spec and key not in pod:
                pod[key] = spec[key]
        labels = {**(spec.get("labels") or {}), **labels}
        annotations = {**(spec.get("annotations") or {}), **annotations}
    else:
        pod["containers"] = objects.clone(predictor.get("containers") or [])
        if predictor.get("volumes"):
            pod["volumes"] = objects.clone(predictor["volumes"])
        if not pod["containers"]:
            raise runtimes.NoRuntime(
                "spec.predictor: a model, a framework or containers is required"
            )
    server = pod["containers"][0]
    port = _port(server)
    if not server.get("ports"):
        server["ports"] = [{"containerPort": port, "name": "http1", "protocol": "TCP"}]
    env = server.get("env") or []
    if not any(e.get("name") == "PORT" for e in env):
        server["env"] = [*env, {"name": "PORT", "value": str(port)}]
    server.setdefault("readinessProbe", {"tcpSocket": {"port": port}, "periodSeconds": 1})
    if storage_uri:
        _storage(pod, storage_uri, models_dir, namespace, storage_env or [])
    body: Object = {"metadata": {"labels": labels}, "spec": pod}
    if annotations:
        body["metadata"]["annotations"] = annotations
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return Template(pod=body, hash=digest, port=port)


def _named(value: Any, revision: str) -> Any:
    if isinstance(value, str):
        return value.replace("{revision}", revision)
    if isinstance(value, list):
        return [_named(v, revision) for v in value]
    if isinstance(value, dict):
        return {k: _named(v, revision) for k, v in value.items()}
    return value


def deployment(tpl: Template, revision: str, *, replicas: int) -> Object:
    """The revision's Deployment (`replicas` from `scaling`)."""
    pod = _named(objects.clone(tpl.pod), revision)
    pod["metadata"]["labels"][REVISION_LABEL] = revision
    return {
        "metadata": {
            "name": deployment_name(revision),
            "labels": dict(pod["metadata"]["labels"]),
            "annotations": {HASH_ANNOTATION: tpl.hash},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {REVISION_LABEL: revision}},
            "template": pod,
        },
    }


def service(isvc: Object, revision: str, port: int) -> Object:
    """The revision's Service: port 80 → the model server's port on its pods."""
    return {
        "metadata": {
            "name": revision,
            "labels": {
                ISVC_LABEL: objects.name_of(isvc),
                COMPONENT_LABEL: PREDICTOR,
                REVISION_LABEL: revision,
            },
        },
        "spec": {
            "type": "ClusterIP",
            "selector": {REVISION_LABEL: revision},
            "ports": [
                {"name": "http", "port": SERVICE_PORT, "targetPort": port, "protocol": "TCP"}
            ],
        },
    }
