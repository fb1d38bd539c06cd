"""One strategy per kind: what is particular to each kind on its way into the store.

`strategy(info)` is the table the storages (`apiserver.storages`) are built
from; a kind not listed has no rules of its own (`strategies.DEFAULT`, or
`strategies.SPLIT_STATUS` when it has a status subresource, as custom
resources may). `hooks(info)` adds server-side effects beyond the strategy.
"""

from __future__ import annotations

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import stores, strategies
from pinnace.apiserver.kinds import (
    claims,
    crds,
    namespaces,
    pods,
    secrets,
    services,
    workloads,
)

_STRATEGIES: dict[tuple[str, str], strategies.Strategy] = {
    ("", "Pod"): pods.STRATEGY,
    ("", "Service"): services.STRATEGY,
    ("", "Secret"): secrets.STRATEGY,
    ("", "Namespace"): namespaces.STRATEGY,
    ("", "PersistentVolumeClaim"): claims.STRATEGY,
    ("apps", "Deployment"): workloads.DEPLOYMENT,
    ("apps", "StatefulSet"): workloads.STATEFULSET,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crds.STRATEGY,
}

_HOOKS: dict[tuple[str, str], stores.Hooks] = {
    ("", "Service"): stores.Hooks(begin_create=services.allocate_cluster_ip),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crds.HOOKS,
}


def strategy(info: ResourceInfo) -> strategies.Strategy:
    if not info.is_custom:
        found = _STRATEGIES.get((info.group, info.kind))
        if found is not None:
            return found
    return strategies.SPLIT_STATUS if info.has_status else strategies.DEFAULT


def hooks(info: ResourceInfo) -> stores.Hooks:
    if info.is_custom:
        return stores.NO_HOOKS
    return _HOOKS.get((info.group, info.kind), stores.NO_HOOKS)
