"""Backends: a route destination resolved to the ready endpoints it sends to.

`pinnace.gateway.tables` asks a `Resolver` (built over the current Services
and Endpoints) for each destination of each route, so the proxy only picks an
endpoint. Resolution follows Kubernetes and Istio:

- the destination host is a Service: `svc` (in the VirtualService's namespace),
  `svc.ns`, `svc.ns.svc` or `svc.ns.svc.<cluster domain>`;
- `port.number` is a Service port (it may be left out when the Service has
  one port); its `name` selects the Endpoints port of the same name (the
  Endpoints controller names them so), else the subset's only port, else the
  numeric targetPort;
- only `addresses` count (not `notReadyAddresses`); an `ExternalName` Service
  resolves to its external name.

A destination that cannot be resolved still yields a `Backend`, with no
endpoints and a `problem` sentence for the 503 body. Load balancing: `Spread`
is a smooth weighted round robin over a route's destinations (exact shares,
e.g. 9:1 in every 10 requests for a 90/10 canary), and `Backend.pick` is a
round robin over one destination's endpoints.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from pinnace.gateway import routes
from pinnace.kits.kube import objects

T = TypeVar("T")


class Endpoint(NamedTuple):
    host: str
    port: int


class BackendKey(NamedTuple):
    """A Service port: what a destination names once its host is resolved."""

    namespace: str
    service: str
    port: int | None

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.namespace}/{self.service}{port}"


class Backend:
    """The ready endpoints of one Service port, picked in turn."""

    __slots__ = ("_turn", "endpoints", "key", "problem")

    def __init__(self, key: BackendKey, endpoints: Sequence[Endpoint], problem: str = "") -> None:
        self.key = key
        self.endpoints = tuple(endpoints)
        self.problem = problem or ("" if self.endpoints else "has no ready endpoints")
        self._turn = itertools.count()

    def pick(self) -> Endpoint | None:
        eps = self.endpoints
        if not eps:
            return None
        if len(eps) == 1:
            return eps[0]
        return eps[next(self._turn) % len(eps)]

    def __repr__(self) -> str:
        return f"Backend({self.key}, {list(self.endpoints)}, {self.problem!r})"


class Spread(Generic[T]):
    """Smooth weighted round robin (nginx's): exact shares, evenly interleaved."""

    __slots__ = ("_current", "_items", "_total", "_weights")

    def __init__(self, weighted: Sequence[tuple[T, int]]) -> None:
        live = [(item, w) for item, w in weighted if w > 0]
        self._items = [item for item, _ in live]
        self._weights = [w for _, w in live]
        self._current = [0] * len(live)
        self._total = sum(self._weights)

    @property
    def items(self) -> list[T]:
        return self._items

    def pick(self) -> T | None:
        items = self._items
        if len(items) <= 1:
            return items[0] if items else None
        current, best = self._current, 0
        for i, w in enumerate(self._weights):
            current[i] += w
            if current[i] > current[best]:
                best = i
        current[best] -= self._total
        return items[best]


def service_of(host: str, namespace: str, cluster_domain: str) -> tuple[str, str] | None:
    """(namespace, name) of the Service a destination host names; None for other hosts."""
    long_suffix = f".svc.{cluster_domain}"
    if host.endswith(long_suffix):
        host = host[: -len(long_suffix)]
    elif host.endswith(".svc"):
        host = host[:-4]
    parts = host.split(".")
    if len(parts) == 1:
        return namespace, parts[0]
    if len(parts) == 2:
        return parts[1], parts[0]
    return None


def _service_port(service: objects.Object, number: int | None) -> dict[str, Any] | None:
    ports = (service.get("spec") or {}).get("ports") or []
    if number is None:
        return ports[0] if len(ports) == 1 else None
    return next((p for p in ports if p.get("port") == number), None)


def _endpoint_port(subset: dict[str, Any], svc_port: dict[str, Any]) -> int | None:
    ports = subset.get("ports") or []
    name = svc_port.get("name")
    if name:
        for p in ports:
            if p.get("name") == name:
                return int(p["port"])
    if len(ports) == 1:
        return int(ports[0]["port"])
    target = svc_port.get("targetPort", svc_port.get("port"))
    return target if isinstance(target, int) else None


def ready_endpoints(endpoints: objects.Object | None, svc_port: dict[str, Any]) -> list[Endpoint]:
    """The ready address:port pairs of an Endpoints object for one Service port."""
    out: list[Endpoint] = []
    for subset in (endpoints or {}).get("subsets") or []:
        port = _endpoint_port(subset, svc_port)
        if port is None:
            continue
        out.extend(Endpoint(a["ip"], port) for a in subset.get("addresses") or [] if a.get("ip"))
    return out


class Resolver:
    """Resolves destinations against one snapshot of Services and Endpoints.

    Backends are shared by key, so two routes to the same Service port share
    one round robin.
    """

    def __init__(
        self,
        services: Mapping[tuple[str, str], objects.Object],
        endpoints: Mapping[tuple[str, str], objects.Object],
        *,
        cluster_domain: str = "cluster.local",
    ) -> None:
        self._services = services
        self._endpoints = endpoints
        self._domain = cluster_domain
        self._backends: dict[BackendKey, Backend] = {}

    @property
    def backends(self) -> dict[BackendKey, Backend]:
        """Every backend resolved so far."""
        return self._backends

    def resolve(self, dest: routes.Destination, namespace: str) -> Backend:
        svc = service_of(dest.host, namespace, self._domain)
        if svc is None:
            key = BackendKey("", dest.host, dest.port)
            return self._backends.setdefault(
                key, Backend(key, (), f"host {dest.host} is not a Service of this cluster")
            )
        key = BackendKey(svc[0], svc[1], dest.port)
        if key not in self._backends:
            self._backends[key] = self._build(key)
        return self._backends[key]

    def _build(self, key: BackendKey) -> Backend:
        service = self._services.get((key.namespace, key.service))
        if service is None:
            return Backend(key, (), "does not exist")
        svc_port = _service_port(service, key.port)
        if svc_port is None:
            what = "has no port" if key.port is None else f"has no port {key.port}"
            return Backend(key, (), what)
        spec = service.get("spec") or {}
        if spec.get("type") == "ExternalName" and spec.get("externalName"):
            target = svc_port.get("targetPort", svc_port["port"])
            port = target if isinstance(target, int) else int(svc_port["port"])
            return Backend(key, [Endpoint(str(spec["externalName"]), port)])
        return Backend(
            key, ready_endpoints(self._endpoints.get((key.namespace, key.service)), svc_port)
        )
