"""The Kubeflow ClusterRoles a Profile's bindings refer to, installed at start.

As kubeflow/manifests `common/kubeflow-roles`: `kubeflow-admin`, `kubeflow-edit`
and `kubeflow-view` carry no rules of their own but an `aggregationRule`
(`rbac.authorization.kubeflow.org/aggregate-to-kubeflow-<role>`), and each is
aggregated into the one above it (view → edit → admin). The rules come from
the component roles labelled for aggregation: upstream takes them from
Kubernetes' own `admin`/`edit`/`view` (through `kubeflow-kubernetes-*`) and from
each component's manifests; pinnace has no built-in `admin`/`edit`/`view`, so
`kubeflow-kubernetes-*` carry the core rules themselves, and one role per
domain (notebooks, pipelines, serving) carries the Kubeflow kinds. The
aggregation itself (filling `rules` of an aggregated role) is the API
server's side (the controller manager's clusterrole-aggregation controller).

`Installer` creates the roles or brings them back to this definition when it
starts; the aggregated roles' `rules` are left to the aggregator.
"""

from __future__ import annotations

import logging
from typing import Any

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

ADMIN, EDIT, VIEW = "kubeflow-admin", "kubeflow-edit", "kubeflow-view"
AGGREGATE = "rbac.authorization.kubeflow.org/aggregate-to-"
PART_OF = {"app.kubernetes.io/part-of": "kubeflow-profile"}

READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
ALL = READ + WRITE


def _rule(group: str, resources: list[str], verbs: list[str]) -> Object:
    return {"apiGroups": [group], "resources": resources, "verbs": verbs}


def _aggregated(name: str, selects: str, into: str | None) -> Object:
    labels = {**PART_OF, **({AGGREGATE + into: "true"} if into else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels},
        "aggregationRule": {
            "clusterRoleSelectors": [{"matchLabels": {AGGREGATE + selects: "true"}}]
        },
        "rules": [],
    }


def _component(name: str, into: str, rules: list[Object]) -> Object:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {**PART_OF, AGGREGATE + into: "true"}},
        "rules": rules,
    }


_CORE_WORK = [
    "pods",
    "pods/log",
    "services",
    "endpoints",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
    "serviceaccounts",
]
_CORE_SEEN = ["pods", "pods/log", "services", "endpoints", "configmaps", "persistentvolumeclaims"]
_KUBEFLOW = [
    ("kubeflow-notebooks", "kubeflow.org", ["notebooks", "notebooks/status", "poddefaults"]),
    ("kubeflow-pipelines", "pipelines.kubeflow.org", ["*"]),
    ("kubeflow-kserve", "serving.kserve.io", ["*"]),
]


def cluster_roles() -> list[Object]:
    """Every ClusterRole a Profile relies on, as installed."""
    out = [
        _aggregated(ADMIN, "kubeflow-admin", None),
        _aggregated(EDIT, "kubeflow-edit", "kubeflow-admin"),
        _aggregated(VIEW, "kubeflow-view", "kubeflow-edit"),
        _component(
            "kubeflow-kubernetes-admin",
            "kubeflow-admin",
            [
                _rule("rbac.authorization.k8s.io", ["roles", "rolebindings"], ALL),
                _rule("", ["resourcequotas"], READ),
            ],
        ),
        _component(
            "kubeflow-kubernetes-edit",
            "kubeflow-edit",
            [
                _rule("", _CORE_WORK, ALL),
                _rule("apps", ["deployments", "statefulsets"], ALL),
                _rule("", ["events"], READ),
            ],
        ),
        _component(
            "kubeflow-kubernetes-view",
            "kubeflow-view",
            [
                _rule("", [*_CORE_SEEN, "events", "resourcequotas", "serviceaccounts"], READ),
                _rule("apps", ["deployments", "statefulsets"], READ),
                _rule("", ["namespaces"], ["get"]),
            ],
        ),
    ]
    for name, group, resources in _KUBEFLOW:
        out.append(_component(f"{name}-edit", "kubeflow-edit", [_rule(group, resources, ALL)]))
        out.append(_component(f"{name}-view", "kubeflow-view", [_rule(group, resources, READ)]))
    return out


def _drifted(current: Object, wanted: Object) -> bool:
    labels = (current.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in wanted["metadata"]["labels"].items()):
        return True
    if "aggregationRule" in wanted:
        return bool(current.get("aggregationRule") != wanted["aggregationRule"])
    return bool(current.get("rules") != wanted["rules"])


async def install(client: clients.KubeApi) -> None:
    """Create each role, or patch it back to its definition (aggregated rules untouched)."""
    for role in cluster_roles():
        name = role["metadata"]["name"]
        try:
            current = await client.get(kinds.CLUSTERROLES, name)
        except errors.NotFound:
            await client.create(kinds.CLUSTERROLES, role)
            continue
        if _drifted(current, role):
            patch: dict[str, Any] = {"metadata": {"labels": role["metadata"]["labels"]}}
            if "aggregationRule" in role:
                patch["aggregationRule"] = role["aggregationRule"]
            else:
                patch["rules"] = role["rules"]
            await client.patch(kinds.CLUSTERROLES, name, patch)


class Installer:
    """A manager runnable: installs the roles when the manager starts."""

    def __init__(self, client: clients.KubeApi) -> None:
        self.client = client

    async def start(self) -> None:
        await install(self.client)
        log.debug("installed %d Kubeflow ClusterRoles", len(cluster_roles()))

    async def stop(self) -> None:
        return None
