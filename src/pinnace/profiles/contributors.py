"""Contributors: users shared into a Profile's namespace, as KFAM makes them.

KFAM (`/kfam/v1/bindings`) gives a user a role in a namespace with one
RoleBinding named `user-<sanitised-email>-clusterrole-<role>` (every run of
characters other than `[a-z0-9]` becomes `-`, then lowercased:
`user-a@example.com`, edit → `user-user-a-example-com-clusterrole-edit`),
annotated `user` (the raw name) and `role`, binding ClusterRole
`kubeflow-<role>`. Any client sees them as RoleBindings; `pinnace profile
add-contributor|remove-contributor` writes them through the API.
"""

from __future__ import annotations

import enum
import re

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object

_UNSAFE = re.compile(r"[^a-z0-9]+")
RBAC_GROUP = "rbac.authorization.k8s.io"


class Role(enum.StrEnum):
    EDIT = "edit"
    VIEW = "view"


def binding_name(user: str, role: Role) -> str:
    """KFAM's `getBindingName`: kind, user, roleRef kind and role, sanitised and joined."""
    raw = "-".join(("User", _UNSAFE.sub("-", user), "ClusterRole", str(role))).lower()
    return _UNSAFE.sub("-", raw)


def binding(namespace: str, user: str, role: Role) -> Object:
    """The RoleBinding that makes `user` a contributor with `role` in `namespace`."""
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": binding_name(user, role),
            "namespace": namespace,
            "annotations": {"user": user, "role": str(role)},
        },
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": f"kubeflow-{role}"},
        "subjects": [{"apiGroup": RBAC_GROUP, "kind": "User", "name": user}],
    }


def is_contributor_binding(rb: Object) -> bool:
    annotations = (rb.get("metadata") or {}).get("annotations") or {}
    return annotations.get("role") in {str(r) for r in Role} and "user" in annotations


async def add(client: clients.KubeApi, namespace: str, user: str, role: Role) -> Object:
    """Make `user` a contributor; a binding of that name already there is left as it is."""
    await client.get(kinds.PROFILES, namespace)  # NotFound: no such profile
    try:
        return await client.create(kinds.ROLEBINDINGS, binding(namespace, user, role))
    except errors.AlreadyExists:
        return await client.get(kinds.ROLEBINDINGS, binding_name(user, role), namespace=namespace)


async def remove(client: clients.KubeApi, namespace: str, user: str) -> list[str]:
    """Remove every contributor binding of `user` in `namespace`; the names removed."""
    removed = []
    for role in Role:
        name = binding_name(user, role)
        try:
            await client.delete(kinds.ROLEBINDINGS, name, namespace=namespace)
        except errors.NotFound:
            continue
        removed.append(name)
    return removed


async def listed(client: clients.KubeApi, namespace: str) -> list[tuple[str, str]]:
    """(user, role) of every contributor binding in `namespace`."""
    found = await client.list(kinds.ROLEBINDINGS, namespace=namespace)
    return sorted(
        (rb["metadata"]["annotations"]["user"], rb["metadata"]["annotations"]["role"])
        for rb in found.items
        if is_contributor_binding(rb)
    )
