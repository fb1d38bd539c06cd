"""Server-side printers of the built-in kinds, by (group, plural).

`apiserver.tables` asks `for_resource(group, plural)` for the columns and the
row function of a built-in kind when a client wants a `meta.k8s.io/v1 Table`
(`kubectl get`). Custom kinds have no printer here: their columns come from
the CRD's additionalPrinterColumns. A built-in kind without a printer gets the
apiserver's default (`NAME`, `CREATED AT`).
"""

from __future__ import annotations

from pinnace.api.printers import cluster, config, pods, workloads
from pinnace.api.printers.columns import Column, Printer, Row

__all__ = ["Column", "Printer", "Row", "default", "for_resource"]

_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): pods.PRINTER,
    ("", "services"): workloads.SERVICES,
    ("", "endpoints"): workloads.ENDPOINTS,
    ("apps", "deployments"): workloads.DEPLOYMENTS,
    ("apps", "statefulsets"): workloads.STATEFULSETS,
    ("", "configmaps"): config.CONFIGMAPS,
    ("", "secrets"): config.SECRETS,
    ("", "serviceaccounts"): config.SERVICEACCOUNTS,
    ("", "persistentvolumeclaims"): config.PERSISTENTVOLUMECLAIMS,
    ("coordination.k8s.io", "leases"): config.LEASES,
    ("", "namespaces"): cluster.NAMESPACES,
    ("", "nodes"): cluster.NODES,
    ("", "events"): cluster.EVENTS,
    ("rbac.authorization.k8s.io", "roles"): cluster.CREATED,
    ("rbac.authorization.k8s.io", "clusterroles"): cluster.CREATED,
    ("rbac.authorization.k8s.io", "rolebindings"): cluster.BINDINGS,
    ("rbac.authorization.k8s.io", "clusterrolebindings"): cluster.BINDINGS,
}


def for_resource(group: str, plural: str) -> Printer | None:
    """The printer of a built-in kind, or None (then use `default()`)."""
    return _PRINTERS.get((group, plural))


def default() -> Printer:
    """The apiserver's default table: Name and Created At (a date kubectl shows as-is)."""
    return cluster.CREATED
