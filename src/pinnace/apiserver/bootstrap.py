"""What every cluster has from the start: the system namespaces and `default/kubernetes`.

`ApiServer.start` calls `ensure` once the store is open, as kube-apiserver's
bootstrap controllers do: the namespaces `default`, `kube-system`,
`kube-public` and `kube-node-lease`, and the API server's own Service —
`default/kubernetes`, ClusterIP (the first address of the service range),
port 443 named `https` — with its Endpoints at the address the API server is
reached on (`Settings.advertise_url`, the gateway's URL). Pods get the same
address in `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` from the runtime
(`pinnace.runtime.base_environment`): the endpoint, not the cluster IP, since
cluster IPs are not routed on one machine. An existing Service is left alone;
its Endpoints are brought up to date when the address changed.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from pinnace.apiserver import metadata, storage
from pinnace.kits.kube.objects import Object

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NAME = "kubernetes"
PORT = 443
LABELS = {"component": "apiserver", "provider": "kubernetes"}


def endpoint(url: str) -> tuple[str, int]:
    """The IP and port an advertised URL reaches the API server on."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = ipaddress.ip_address("127.0.0.1")
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return str(address), port


async def ensure(
    store: storage.Store, *, now: str, cluster_ip: str, advertise_url: str | None
) -> None:
    for name in SYSTEM_NAMESPACES:
        if store.get("/namespaces", "", name) is None:
            await store.put("/namespaces", _namespace(name, now), None)
    target = endpoint(advertise_url) if advertise_url else None
    if store.get("/services", "default", NAME) is None:
        used = {(s.get("spec") or {}).get("clusterIP") for s in store.objects("/services")}
        address = ipaddress.ip_address(cluster_ip)
        while str(address) in used:  # taken by a Service older than this one: the next free
            address += 1
        await store.put("/services", _service(str(address), target, now), None)
    if target is not None:
        current = store.get("/endpoints", "default", NAME)
        wanted = _endpoints(target, now)
        if current is None:
            await store.put("/endpoints", wanted, None)
        elif current.get("subsets") != wanted["subsets"]:
            updated = {**current, "subsets": wanted["subsets"]}
            updated["metadata"] = dict(current["metadata"])
            await store.put("/endpoints", updated, current)


def _namespace(name: str, now: str) -> Object:
    obj: Object = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    metadata.init_on_create(obj, now)
    return obj


def _service(cluster_ip: str, target: tuple[str, int] | None, now: str) -> Object:
    spec: Object = {
        "clusterIP": cluster_ip,
        "clusterIPs": [cluster_ip],
        "ports": [
            {
                "name": "https",
                "protocol": "TCP",
                "port": PORT,
                "targetPort": target[1] if target else PORT,
            }
        ],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }
    obj: Object = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": "default", "labels": dict(LABELS)},
        "spec": spec,
        "status": {"loadBalancer": {}},
    }
    metadata.init_on_create(obj, now)
    return obj


def _endpoints(target: tuple[str, int], now: str) -> Object:
    ip, port = target
    obj: Object = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": NAME,
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [
            {
                "addresses": [{"ip": ip}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
            }
        ],
    }
    metadata.init_on_create(obj, now)
    return obj
