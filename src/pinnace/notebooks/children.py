"""What a Notebook turns into: its StatefulSet, Service and VirtualService, as plain bodies.

Pure functions of the Notebook object, called by `reconciling` on every pass
and handed to `owning.ensure` (which creates them with the ownerReference or
patches what drifted). The shapes are upstream's notebook controller's
(`generateStatefulSet`, `generateService`, `generateVirtualService`):

- StatefulSet `<name>`, one replica (0 while `kubeflow-resource-stopped` is
  set), pod `<name>-0` labelled `statefulset=<name>` and `notebook-name=<name>`
  plus the Notebook's labels and its annotations (less kubectl's and the
  notebook controller's own); the first container gets `NB_PREFIX`,
  `workingDir: /home/jovyan` and port 8888 when it names none; `fsGroup: 100`.
- Service `<name>`: port 80 (`http-<name>`) → the first container port.
- VirtualService `notebook-<ns>-<name>` on `kubeflow/kubeflow-gateway`:
  prefix `/notebook/<ns>/<name>/`, rewritten to itself (or the
  `notebooks.kubeflow.org/http-rewrite-uri` annotation), request headers from
  `notebooks.kubeflow.org/http-headers-request-set`, timeout 300s.

Two additions of pinnace, both because a process is not a container image:
when nothing is mounted at `/home/jovyan` an emptyDir is (an image has that
directory; a process needs one for HOME and the server's root), and a
container without a readinessProbe gets a TCP one on its port, so the pod is
Ready — and the gateway routes to it — when the server listens, and a server
that never listens says so (docs/design/notebooks.md).
"""

from __future__ import annotations

import json
from typing import Any

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

STOPPED_ANNOTATION = "kubeflow-resource-stopped"
LAST_ACTIVITY_ANNOTATION = "notebooks.kubeflow.org/last-activity"
LAST_CHECK_ANNOTATION = "notebooks.kubeflow.org/last_activity_check_timestamp"
REWRITE_ANNOTATION = "notebooks.kubeflow.org/http-rewrite-uri"
HEADERS_ANNOTATION = "notebooks.kubeflow.org/http-headers-request-set"
NAME_LABEL = "notebook-name"
SET_LABEL = "statefulset"
HOME = "/home/jovyan"
DEFAULT_PORT = 8888
SERVING_PORT = 80
FS_GROUP = 100
GATEWAY = "kubeflow/kubeflow-gateway"
CLUSTER_DOMAIN = "cluster.local"
HOME_VOLUME = "pinnace-home"
ROUTE_TIMEOUT = "300s"


def prefix(namespace: str, name: str) -> str:
    """The notebook's URL prefix on the gateway, with its trailing slash."""
    return f"/notebook/{namespace}/{name}/"


def pod_name(name: str) -> str:
    return f"{name}-0"


def virtual_service_name(namespace: str, name: str) -> str:
    return f"notebook-{namespace}-{name}"


def is_stopped(notebook: Object) -> bool:
    return STOPPED_ANNOTATION in (objects.meta(notebook).get("annotations") or {})


def _pod_spec(notebook: Object) -> Object:
    template = (notebook.get("spec") or {}).get("template") or {}
    return objects.clone(template.get("spec") or {})


def server_container(spec: Object) -> Object:
    """The server: the first container (upstream's container[0])."""
    containers = spec.get("containers") or []
    if not containers or not isinstance(containers[0], dict):
        raise ValueError("spec.template.spec.containers: the server container is required")
    first: Object = containers[0]
    return first


def server_port(notebook: Object) -> int:
    """The first container port, else 8888 (what the Service targets)."""
    ports = server_container(_pod_spec(notebook)).get("ports") or []
    if ports and isinstance(ports[0], dict) and ports[0].get("containerPort"):
        return int(ports[0]["containerPort"])
    return DEFAULT_PORT


def _copied_annotation(key: str) -> bool:
    """Upstream copies the Notebook's annotations to the pod, but not kubectl's or its own."""
    return "kubectl" not in key and "notebook" not in key and key != STOPPED_ANNOTATION


def _server(container: Object, *, namespace: str, name: str, port: int) -> None:
    container.setdefault("workingDir", HOME)
    if not container.get("ports"):
        container["ports"] = [{"containerPort": port, "name": "notebook-port", "protocol": "TCP"}]
    env = [e for e in container.get("env") or [] if e.get("name") != "NB_PREFIX"]
    env.append({"name": "NB_PREFIX", "value": prefix(namespace, name).rstrip("/")})
    container["env"] = env
    if "readinessProbe" not in container:
        container["readinessProbe"] = {"tcpSocket": {"port": port}, "periodSeconds": 1}


def _home(spec: Object, container: Object) -> None:
    mounts = container.get("volumeMounts") or []
    if any(str(m.get("mountPath") or "").rstrip("/") == HOME for m in mounts):
        return
    spec["volumes"] = [*(spec.get("volumes") or []), {"name": HOME_VOLUME, "emptyDir": {}}]
    container["volumeMounts"] = [*mounts, {"name": HOME_VOLUME, "mountPath": HOME}]


def stateful_set(notebook: Object) -> Object:
    meta = objects.meta(notebook)
    name, namespace = objects.name_of(notebook), objects.namespace_of(notebook)
    spec = _pod_spec(notebook)
    container = server_container(spec)
    _server(container, namespace=namespace, name=name, port=server_port(notebook))
    _home(spec, container)
    if not spec.get("securityContext"):
        spec["securityContext"] = {"fsGroup": FS_GROUP}
    labels = {**(meta.get("labels") or {}), SET_LABEL: name, NAME_LABEL: name}
    template_meta: Object = {"labels": labels}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if _copied_annotation(k)
    }
    if annotations:
        template_meta["annotations"] = annotations
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": 0 if is_stopped(notebook) else 1,
            "serviceName": name,
            "selector": {"matchLabels": {SET_LABEL: name}},
            "template": {"metadata": template_meta, "spec": spec},
        },
    }


def service(notebook: Object) -> Object:
    name = objects.name_of(notebook)
    return {
        "metadata": {"name": name},
        "spec": {
            "type": "ClusterIP",
            "selector": {SET_LABEL: name},
            "ports": [
                {
                    "name": f"http-{name}",
                    "port": SERVING_PORT,
                    "targetPort": server_port(notebook),
                    "protocol": "TCP",
                }
            ],
        },
    }


def _request_headers(annotations: dict[str, Any]) -> dict[str, str]:
    raw = annotations.get(HEADERS_ANNOTATION)
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}  # as upstream: a malformed annotation sets no headers
    if not isinstance(parsed, dict):
        return {}
    return {str(k): str(v) for k, v in parsed.items()}


def virtual_service(notebook: Object) -> Object:
    name, namespace = objects.name_of(notebook), objects.namespace_of(notebook)
    annotations = objects.meta(notebook).get("annotations") or {}
    route: Object = {
        "match": [{"uri": {"prefix": prefix(namespace, name)}}],
        "rewrite": {"uri": annotations.get(REWRITE_ANNOTATION) or prefix(namespace, name)},
        "route": [
            {
                "destination": {
                    "host": f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}",
                    "port": {"number": SERVING_PORT},
                }
            }
        ],
        "timeout": ROUTE_TIMEOUT,
    }
    headers = _request_headers(annotations)
    if headers:
        route["headers"] = {"request": {"set": headers}}
    return {
        "metadata": {"name": virtual_service_name(namespace, name)},
        "spec": {"hosts": ["*"], "gateways": [GATEWAY], "http": [route]},
    }
