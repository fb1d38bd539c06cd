"""Printers for deployments, statefulsets, services and endpoints (kube-apiserver 1.32 columns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pinnace.api.printers.columns import (
    AGE,
    NAME,
    Column,
    Printer,
    Row,
    age,
    format_labels,
    format_selector,
    items,
    name,
)
from pinnace.kits.kube.objects import Object

_CONTAINERS = Column(
    "Containers", priority=1, description="Names of each container in the template."
)
_IMAGES = Column(
    "Images", priority=1, description="Images referenced by each container in the template."
)


def _template_containers(obj: Object) -> tuple[str, str]:
    containers = items(obj, "spec", "template", "spec", "containers")
    return (
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    )


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _deployment(obj: Object, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    desired = _int(spec.get("replicas", 1))
    containers, images = _template_containers(obj)
    return Row(
        [
            name(obj),
            f"{_int(status.get('readyReplicas'))}/{desired}",
            _int(status.get("updatedReplicas")),
            _int(status.get("availableReplicas")),
            age(obj, now),
            containers,
            images,
            format_selector(spec.get("selector")),
        ]
    )


DEPLOYMENTS = Printer(
    (
        NAME,
        Column("Ready", description="Number of the pod with ready state"),
        Column(
            "Up-to-date",
            type="integer",
            description="Total number of non-terminated pods "
            "targeted by this deployment that have the desired template spec.",
        ),
        Column(
            "Available",
            type="integer",
            description="Total number of available pods "
            "(ready for at least minReadySeconds) targeted by this deployment.",
        ),
        AGE,
        _CONTAINERS,
        _IMAGES,
        Column("Selector", priority=1, description="Label selector for pods."),
    ),
    _deployment,
)


def _statefulset(obj: Object, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    containers, images = _template_containers(obj)
    ready = f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas', 1))}"
    return Row([name(obj), ready, age(obj, now), containers, images])


STATEFULSETS = Printer(
    (
        NAME,
        Column("Ready", description="Number of the pod with ready state"),
        AGE,
        _CONTAINERS,
        _IMAGES,
    ),
    _statefulset,
)


def _external_ip(spec: dict[str, Any], status: dict[str, Any]) -> str:
    kind = spec.get("type") or "ClusterIP"
    external = [str(ip) for ip in spec.get("externalIPs") or ()]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "ExternalName":
        return str(spec.get("externalName") or "")
    if kind == "LoadBalancer":
        ingress = items(status, "loadBalancer", "ingress")
        found = [str(i.get("ip") or i.get("hostname") or "") for i in ingress] + external
        found = [f for f in found if f]
        return ",".join(found) if found else "<pending>"
    return "<unknown>"


def _ports(spec: dict[str, Any]) -> str:
    out = []
    for port in spec.get("ports") or ():
        proto = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            out.append(f"{port.get('port')}:{port['nodePort']}/{proto}")
        else:
            out.append(f"{port.get('port')}/{proto}")
    return ",".join(out) if out else "<none>"


def _service(obj: Object, now: datetime) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return Row(
        [
            name(obj),
            spec.get("type") or "ClusterIP",
            spec.get("clusterIP") or "<none>",
            _external_ip(spec, status),
            _ports(spec),
            age(obj, now),
            format_labels(spec.get("selector")),
        ]
    )


SERVICES = Printer(
    (
        NAME,
        Column("Type", description="type determines how the Service is exposed."),
        Column("Cluster-IP", description="clusterIP is the IP address of the service."),
        Column(
            "External-IP",
            description="externalIPs is a list of IP addresses for which nodes "
            "in the cluster will also accept traffic for this service.",
        ),
        Column("Port(s)", description="The list of ports that are exposed by this service."),
        AGE,
        Column(
            "Selector",
            priority=1,
            description="Route service traffic to pods with label "
            "keys and values matching this selector.",
        ),
    ),
    _service,
)


def format_endpoints(obj: Object, limit: int = 3) -> str:
    """`formatEndpoints`: up to three `ip:port`, then `+ N more...`."""
    subsets = items(obj, "subsets")
    if not subsets:
        return "<none>"
    shown: list[str] = []
    count = 0
    more = False
    for subset in subsets:
        addresses = [str(a.get("ip", "")) for a in subset.get("addresses") or ()]
        ports = subset.get("ports") or [None]
        for port in ports:
            count += len(addresses)
            for ip in addresses:
                if len(shown) == limit:
                    more = True
                    break
                if port is None:
                    shown.append(ip)
                else:
                    host = f"[{ip}]" if ":" in ip else ip
                    shown.append(f"{host}:{port.get('port')}")
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _endpoints(obj: Object, now: datetime) -> Row:
    return Row([name(obj), format_endpoints(obj), age(obj, now)])


ENDPOINTS = Printer(
    (NAME, Column("Endpoints", description="Endpoints of the service."), AGE),
    _endpoints,
)
