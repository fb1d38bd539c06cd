"""Dict fixtures for the gateway tests: VirtualServices, Services and Endpoints as
Kubeflow's controllers and the Endpoints controller write them."""

from __future__ import annotations

from typing import Any

Object = dict[str, Any]


def virtual_service(
    name: str,
    http: list[Object],
    *,
    namespace: str = "kubeflow",
    hosts: list[str] | None = None,
    gateways: list[str] | None = None,
    created: str = "2026-01-01T00:00:00Z",
) -> Object:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": created},
        "spec": {
            "hosts": ["*"] if hosts is None else hosts,
            "gateways": ["kubeflow/kubeflow-gateway"] if gateways is None else gateways,
            "http": http,
        },
    }


def route_to(host: str, port: int | None = 80, **extra: Any) -> Object:
    """An http[] entry with one destination (extra keys: match, rewrite, timeout, ...)."""
    dest: Object = {"host": host}
    if port is not None:
        dest["port"] = {"number": port}
    return {"route": [{"destination": dest}], **extra}


def prefix(value: str) -> list[Object]:
    return [{"uri": {"prefix": value}}]


def service(
    name: str,
    *,
    namespace: str = "kubeflow",
    ports: list[Object] | None = None,
    spec: Object | None = None,
) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec or {"ports": ports or [{"name": "http", "port": 80, "targetPort": 8080}]},
    }


def endpoints(
    name: str,
    ips: list[str],
    *,
    namespace: str = "kubeflow",
    ports: list[Object] | None = None,
    not_ready: list[str] | None = None,
) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": name, "namespace": namespace},
        "subsets": [
            {
                "addresses": [{"ip": ip} for ip in ips],
                "notReadyAddresses": [{"ip": ip} for ip in not_ready or []],
                "ports": ports or [{"name": "http", "port": 8080}],
            }
        ],
    }


def notebook_virtual_service(namespace: str, name: str, *, created: str = "") -> Object:
    """What Kubeflow's notebook controller writes for a Notebook (USE_ISTIO=true)."""
    prefix_ = f"/notebook/{namespace}/{name}/"
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {
            "name": f"notebook-{namespace}-{name}",
            "namespace": namespace,
            "creationTimestamp": created or "2026-01-01T00:00:00Z",
        },
        "spec": {
            "hosts": ["*"],
            "gateways": ["kubeflow/kubeflow-gateway"],
            "http": [
                {
                    "headers": {"request": {"set": {}}},
                    "match": [{"uri": {"prefix": prefix_}}],
                    "rewrite": {"uri": prefix_},
                    "route": [
                        {
                            "destination": {
                                "host": f"{name}.{namespace}.svc.cluster.local",
                                "port": {"number": 80},
                            }
                        }
                    ],
                    "timeout": "300s",
                }
            ],
        },
    }
