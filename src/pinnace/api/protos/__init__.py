"""Protobuf bodies of the built-in kinds: field tables and the decoder.

kubectl's typed commands (`create namespace`, `create deployment`, …) and
client-go send `application/vnd.kubernetes.protobuf`. The API server hands
such bodies to `decoding.decode`, which turns them into the same JSON-shaped
dicts a JSON body gives, using the per-group tables below (generated from
upstream by `scripts/generate_protos.py`).
"""

from __future__ import annotations

from pinnace.api.protos import (
    apps,
    authentication,
    authorization,
    autoscaling,
    coordination,
    core,
    meta,
    rbac,
)
from pinnace.api.protos.fields import Message

MESSAGES: dict[str, Message] = {
    **meta.MESSAGES,
    **core.MESSAGES,
    **apps.MESSAGES,
    **autoscaling.MESSAGES,
    **coordination.MESSAGES,
    **rbac.MESSAGES,
    **authorization.MESSAGES,
    **authentication.MESSAGES,
}

_RBAC = "rbac.authorization.k8s.io/v1"
_AUTHZ = "authorization.k8s.io/v1"
_AUTHN = "authentication.k8s.io/v1"

# (apiVersion, kind) of a body → its message. DeleteOptions is accepted under
# any apiVersion: clients send it in the group of the resource they delete.
KINDS: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "core.Namespace",
    ("v1", "ConfigMap"): "core.ConfigMap",
    ("v1", "Secret"): "core.Secret",
    ("v1", "ServiceAccount"): "core.ServiceAccount",
    ("v1", "Service"): "core.Service",
    ("v1", "Pod"): "core.Pod",
    ("v1", "Endpoints"): "core.Endpoints",
    ("v1", "Event"): "core.Event",
    ("v1", "PersistentVolumeClaim"): "core.PersistentVolumeClaim",
    ("v1", "Node"): "core.Node",
    ("v1", "Binding"): "core.Binding",
    ("apps/v1", "Deployment"): "apps.Deployment",
    ("apps/v1", "StatefulSet"): "apps.StatefulSet",
    ("autoscaling/v1", "Scale"): "autoscaling.Scale",
    ("coordination.k8s.io/v1", "Lease"): "coordination.Lease",
    (_RBAC, "Role"): "rbac.Role",
    (_RBAC, "ClusterRole"): "rbac.ClusterRole",
    (_RBAC, "RoleBinding"): "rbac.RoleBinding",
    (_RBAC, "ClusterRoleBinding"): "rbac.ClusterRoleBinding",
    (_AUTHZ, "SelfSubjectAccessReview"): "authorization.SelfSubjectAccessReview",
    (_AUTHZ, "SubjectAccessReview"): "authorization.SubjectAccessReview",
    (_AUTHZ, "LocalSubjectAccessReview"): "authorization.LocalSubjectAccessReview",
    (_AUTHZ, "SelfSubjectRulesReview"): "authorization.SelfSubjectRulesReview",
    (_AUTHN, "SelfSubjectReview"): "authentication.SelfSubjectReview",
    (_AUTHN, "TokenReview"): "authentication.TokenReview",
}
ANY_VERSION_KINDS: dict[str, str] = {"DeleteOptions": "meta.DeleteOptions"}


def message_for(api_version: str, kind: str) -> str | None:
    """The message name of a body's (apiVersion, kind), or None when we have no table."""
    return KINDS.get((api_version, kind)) or ANY_VERSION_KINDS.get(kind)
