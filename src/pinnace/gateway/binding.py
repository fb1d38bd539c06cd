"""Which VirtualServices bind to this gateway, and which Host headers they serve.

Used by `pinnace.gateway.tables` when it builds a table. The rules follow Istio:

Gateways. A VirtualService binds when its `gateways` names one of the gateway
names in `Settings.gateways` (default `kubeflow/kubeflow-gateway`). Names are
`<namespace>/<name>`; a bare `<name>` is looked up in the VirtualService's own
namespace (and `<name>.<namespace>.svc.<domain>` is accepted, as Istio does).
A VirtualService without `gateways`, or with only the reserved `mesh`, applies
to sidecars only and does not bind here. A `match[].gateways` list narrows that
one match; a route whose every match is narrowed away is dropped, never turned
into a catch-all.

Hosts. Each VirtualService host becomes a virtual host, and a request goes to
the single most specific virtual host for its Host header (port stripped, case
ignored), as Envoy picks one: an exact name first, then the longest `*.suffix`
wildcard, then `*`. Only that virtual host's routes are tried, so a request for
`a.example.com` never falls through to `*` routes. A host without dots is a
short Service name and also answers to `<name>.<namespace>[.svc[.<domain>]]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from pinnace.gateway import routes

MESH = "mesh"

T = TypeVar("T")


def gateway_name(entry: str, namespace: str) -> str:
    """`<ns>/<name>` for a `gateways` entry written in any of Istio's accepted forms."""
    if "/" in entry:
        return entry
    if "." in entry:
        name, _, rest = entry.partition(".")
        return f"{rest.split('.', 1)[0]}/{name}"
    return f"{namespace}/{entry}"


def bound(entries: Iterable[str], namespace: str, gateways: frozenset[str]) -> bool:
    """Whether a `gateways` list names one of ours (`mesh` never does)."""
    return any(e != MESH and gateway_name(e, namespace) in gateways for e in entries)


def binds(vs: routes.VirtualService, gateways: frozenset[str]) -> bool:
    """Whether any route of the VirtualService can be served by this gateway."""
    if bound(vs.gateways, vs.namespace, gateways):
        return True
    return any(
        bound(m.gateways, vs.namespace, gateways) for r in vs.http for m in r.matches if m.gateways
    )


def match_binds(
    match: routes.RequestMatch, vs: routes.VirtualService, gateways: frozenset[str]
) -> bool:
    """Whether one match applies here (its own `gateways` override the VirtualService's)."""
    return bound(match.gateways or vs.gateways, vs.namespace, gateways)


def host_names(host: str, namespace: str, cluster_domain: str) -> tuple[str, ...]:
    """The Host values a VirtualService host answers to (patterns keep their `*`)."""
    host = host.lower()
    if host == "*" or host.startswith("*.") or "." in host:
        return (host,)
    svc = f"{host}.{namespace}.svc"
    return (host, f"{host}.{namespace}", svc, f"{svc}.{cluster_domain}")


class HostIndex(Generic[T]):
    """Envoy's virtual-host choice: exact name, then longest `*.suffix`, then `*`."""

    __slots__ = ("_any", "_exact", "_suffixes")

    def __init__(self, entries: dict[str, T]) -> None:
        self._exact = {h: v for h, v in entries.items() if not h.startswith("*")}
        wild = [(h[1:], v) for h, v in entries.items() if h.startswith("*.")]
        self._suffixes = sorted(wild, key=lambda item: -len(item[0]))
        self._any = entries.get("*")

    def lookup(self, host: str) -> T | None:
        """The entry for a hostname (already lower-cased and without port)."""
        found = self._exact.get(host)
        if found is not None:
            return found
        for suffix, value in self._suffixes:
            # "*.example.com" needs at least one character before ".example.com".
            if host.endswith(suffix) and len(host) > len(suffix):
                return value
        return self._any
