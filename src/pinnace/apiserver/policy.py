"""kube-apiserver's bootstrap RBAC policy: the roles every cluster starts with.

`ensure(store, now)` creates, when missing, the ClusterRoles and
ClusterRoleBindings of `plugin/pkg/auth/authorizer/rbac/bootstrappolicy` that
clients rely on: `cluster-admin` (bound to the group `system:masters`),
`system:discovery` and `system:basic-user` (bound to `system:authenticated`:
discovery, and the self reviews behind `kubectl auth can-i|whoami`), and
`system:public-info-viewer` (health and version, for anyone). Objects that
exist are left as they are (kube reconciles missing rules; we do not).
"""

from __future__ import annotations

from pinnace.apiserver import metadata, rbac, storage
from pinnace.kits.kube.objects import Object

_META = {
    "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
}
_API_VERSION = f"{rbac.GROUP}/v1"

_PUBLIC = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
_DISCOVERY = ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", *_PUBLIC]

CLUSTER_ROLES: dict[str, list[Object]] = {
    "cluster-admin": [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ],
    "system:discovery": [{"nonResourceURLs": _DISCOVERY, "verbs": ["get"]}],
    "system:public-info-viewer": [{"nonResourceURLs": _PUBLIC, "verbs": ["get"]}],
    "system:basic-user": [
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            "verbs": ["create"],
        },
        {
            "apiGroups": ["authentication.k8s.io"],
            "resources": ["selfsubjectreviews"],
            "verbs": ["create"],
        },
    ],
}
CLUSTER_ROLE_BINDINGS: dict[str, list[str]] = {
    "cluster-admin": [rbac.SYSTEM_MASTERS],
    "system:discovery": [rbac.AUTHENTICATED],
    "system:basic-user": [rbac.AUTHENTICATED],
    "system:public-info-viewer": [rbac.AUTHENTICATED, rbac.UNAUTHENTICATED],
}


def _meta(name: str) -> Object:
    return {
        "name": name,
        "labels": dict(_META["labels"]),
        "annotations": dict(_META["annotations"]),
    }


def objects() -> list[tuple[str, Object]]:
    out: list[tuple[str, Object]] = []
    for name, rules in CLUSTER_ROLES.items():
        role = {"apiVersion": _API_VERSION, "kind": "ClusterRole", "metadata": _meta(name)}
        out.append((rbac.CLUSTERROLES, {**role, "rules": rules}))
    for name, groups in CLUSTER_ROLE_BINDINGS.items():
        binding: Object = {
            "apiVersion": _API_VERSION,
            "kind": "ClusterRoleBinding",
            "metadata": _meta(name),
            "roleRef": {"apiGroup": rbac.GROUP, "kind": "ClusterRole", "name": name},
            "subjects": [{"apiGroup": rbac.GROUP, "kind": "Group", "name": g} for g in groups],
        }
        out.append((rbac.CLUSTERROLEBINDINGS, binding))
    return out


async def ensure(store: storage.Store, *, now: str) -> None:
    for rkey, obj in objects():
        if store.get(rkey, "", obj["metadata"]["name"]) is None:
            metadata.init_on_create(obj, now)
            await store.put(rkey, obj, None)
