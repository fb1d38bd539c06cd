"""The InferenceService's routes on the gateway: two VirtualServices and a Service, as bodies.

`reconciling` hands `traffic.Split.routed` here once some revision is ready. Both
VirtualServices bind to the platform's gateway (`kubeflow/kubeflow-gateway`) and send
to the revisions' Services with the split's weights (the gateway gives exact shares):

- `<name>`: host `<name>.<namespace>.<domain>` (KServe's URL; `domain` is configurable,
  default `example.com` as KServe's), every path — `curl -H 'Host: ...'`, tritonclient;
- `serving-<namespace>-<name>`: any host, prefix `/serving/<namespace>/<name>/`
  rewritten to `/` — the same predictor by path on the platform's one address.

The route timeout is the predictor's `timeout` (seconds), else Knative's 300 s. The
Service `<name>-predictor` (the status `address`) selects the pods of the revision with
the largest share: callers inside the platform reach the stable revision, not the split.
"""

from __future__ import annotations

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.serving import revisions, traffic

GATEWAY = "kubeflow/kubeflow-gateway"
CLUSTER_DOMAIN = "cluster.local"
DEFAULT_DOMAIN = "example.com"
DEFAULT_TIMEOUT = 300


def host(name: str, namespace: str, domain: str) -> str:
    return f"{name}.{namespace}.{domain}"


def prefix(namespace: str, name: str) -> str:
    return f"/serving/{namespace}/{name}/"


def path_route_name(namespace: str, name: str) -> str:
    return f"serving-{namespace}-{name}"


def address_service_name(name: str) -> str:
    return f"{name}-{revisions.PREDICTOR}"


def _destinations(namespace: str, targets: tuple[traffic.Target, ...]) -> list[Object]:
    out: list[Object] = []
    for target in targets:
        dest: Object = {
            "destination": {
                "host": f"{target.revision}.{namespace}.svc.{CLUSTER_DOMAIN}",
                "port": {"number": revisions.SERVICE_PORT},
            }
        }
        if len(targets) > 1:
            dest["weight"] = target.percent
        out.append(dest)
    return out


def _timeout(isvc: Object) -> str:
    value = ((isvc.get("spec") or {}).get("predictor") or {}).get("timeout")
    seconds = value if isinstance(value, int) and value > 0 else DEFAULT_TIMEOUT
    return f"{seconds}s"


def host_route(isvc: Object, targets: tuple[traffic.Target, ...], domain: str) -> Object:
    name, namespace = objects.name_of(isvc), objects.namespace_of(isvc)
    return {
        "metadata": {"name": name, "labels": {revisions.ISVC_LABEL: name}},
        "spec": {
            "hosts": [host(name, namespace, domain)],
            "gateways": [GATEWAY],
            "http": [{"route": _destinations(namespace, targets), "timeout": _timeout(isvc)}],
        },
    }


def path_route(isvc: Object, targets: tuple[traffic.Target, ...]) -> Object:
    name, namespace = objects.name_of(isvc), objects.namespace_of(isvc)
    return {
        "metadata": {
            "name": path_route_name(namespace, name),
            "labels": {revisions.ISVC_LABEL: name},
        },
        "spec": {
            "hosts": ["*"],
            "gateways": [GATEWAY],
            "http": [
                {
                    "match": [{"uri": {"prefix": prefix(namespace, name)}}],
                    "rewrite": {"uri": "/"},
                    "route": _destinations(namespace, targets),
                    "timeout": _timeout(isvc),
                }
            ],
        },
    }


def address_service(isvc: Object, targets: tuple[traffic.Target, ...], port: int) -> Object:
    name = objects.name_of(isvc)
    stable = max(targets, key=lambda t: t.percent).revision
    return {
        "metadata": {"name": address_service_name(name), "labels": {revisions.ISVC_LABEL: name}},
        "spec": {
            "type": "ClusterIP",
            "selector": {revisions.REVISION_LABEL: stable},
            "ports": [
                {
                    "name": "http",
                    "port": revisions.SERVICE_PORT,
                    "targetPort": port,
                    "protocol": "TCP",
                }
            ],
        },
    }
