"""The built-in kinds pinnace serves, as the real kube-apiserver 1.32 lists them.

The API server's registry starts from `BUILTINS` (discovery entries, verbs,
subresources, schema definitions) and adds one `ResourceInfo` per served CRD
version (`pinnace.api.infos.from_crd`). Short names, categories and
subresources copy what `kubectl api-resources` shows against a real cluster.
"""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.api.infos import (
    ResourceInfo,
    Subresource,
    scale_subresource,
    status_subresource,
)
from pinnace.kits.kube.resources import ResourceType

_CORE = "io.k8s.api.core.v1."
_APPS = "io.k8s.api.apps.v1."
_RBAC = "io.k8s.api.rbac.v1."

NAMESPACES = ResourceInfo(
    kinds.NAMESPACES,
    "namespace",
    short_names=("ns",),
    verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    subresources=(
        Subresource("finalize", "Namespace", ("update",)),
        status_subresource("Namespace"),
    ),
    definition=_CORE + "Namespace",
)
NODES = ResourceInfo(
    kinds.NODES,
    "node",
    short_names=("no",),
    subresources=(status_subresource("Node"),),
    definition=_CORE + "Node",
)
PODS = ResourceInfo(
    kinds.PODS,
    "pod",
    short_names=("po",),
    categories=("all",),
    subresources=(
        Subresource("binding", "Binding", ("create",)),
        Subresource("log", "Pod", ("get",)),
        status_subresource("Pod"),
    ),
    definition=_CORE + "Pod",
)
BINDINGS = ResourceInfo(
    ResourceType("", "v1", "bindings", "Binding"),
    "binding",
    verbs=("create",),
    definition=_CORE + "Binding",
)
SERVICES = ResourceInfo(
    kinds.SERVICES,
    "service",
    short_names=("svc",),
    categories=("all",),
    subresources=(status_subresource("Service"),),
    definition=_CORE + "Service",
)
ENDPOINTS = ResourceInfo(
    kinds.ENDPOINTS, "endpoints", short_names=("ep",), definition=_CORE + "Endpoints"
)
CONFIGMAPS = ResourceInfo(
    kinds.CONFIGMAPS, "configmap", short_names=("cm",), definition=_CORE + "ConfigMap"
)
SECRETS = ResourceInfo(kinds.SECRETS, "secret", definition=_CORE + "Secret")
EVENTS = ResourceInfo(kinds.EVENTS, "event", short_names=("ev",), definition=_CORE + "Event")
SERVICEACCOUNTS = ResourceInfo(
    kinds.SERVICEACCOUNTS,
    "serviceaccount",
    short_names=("sa",),
    definition=_CORE + "ServiceAccount",
)
PERSISTENTVOLUMECLAIMS = ResourceInfo(
    kinds.PERSISTENTVOLUMECLAIMS,
    "persistentvolumeclaim",
    short_names=("pvc",),
    subresources=(status_subresource("PersistentVolumeClaim"),),
    definition=_CORE + "PersistentVolumeClaim",
)
DEPLOYMENTS = ResourceInfo(
    kinds.DEPLOYMENTS,
    "deployment",
    short_names=("deploy",),
    categories=("all",),
    subresources=(scale_subresource(), status_subresource("Deployment")),
    definition=_APPS + "Deployment",
)
STATEFULSETS = ResourceInfo(
    kinds.STATEFULSETS,
    "statefulset",
    short_names=("sts",),
    categories=("all",),
    subresources=(scale_subresource(), status_subresource("StatefulSet")),
    definition=_APPS + "StatefulSet",
)
RESOURCEQUOTAS = ResourceInfo(
    kinds.RESOURCEQUOTAS,
    "resourcequota",
    short_names=("quota",),
    subresources=(status_subresource("ResourceQuota"),),
    definition=_CORE + "ResourceQuota",
)
LEASES = ResourceInfo(kinds.LEASES, "lease", definition="io.k8s.api.coordination.v1.Lease")
ROLES = ResourceInfo(kinds.ROLES, "role", definition=_RBAC + "Role")
ROLEBINDINGS = ResourceInfo(kinds.ROLEBINDINGS, "rolebinding", definition=_RBAC + "RoleBinding")
CLUSTERROLES = ResourceInfo(kinds.CLUSTERROLES, "clusterrole", definition=_RBAC + "ClusterRole")
CLUSTERROLEBINDINGS = ResourceInfo(
    kinds.CLUSTERROLEBINDINGS, "clusterrolebinding", definition=_RBAC + "ClusterRoleBinding"
)
CUSTOMRESOURCEDEFINITIONS = ResourceInfo(
    kinds.CUSTOMRESOURCEDEFINITIONS,
    "customresourcedefinition",
    short_names=("crd", "crds"),
    categories=("api-extensions",),
    subresources=(status_subresource("CustomResourceDefinition"),),
    definition="io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
)

BUILTINS: tuple[ResourceInfo, ...] = (
    NAMESPACES,
    NODES,
    PODS,
    BINDINGS,
    SERVICES,
    ENDPOINTS,
    CONFIGMAPS,
    SECRETS,
    EVENTS,
    SERVICEACCOUNTS,
    PERSISTENTVOLUMECLAIMS,
    RESOURCEQUOTAS,
    DEPLOYMENTS,
    STATEFULSETS,
    LEASES,
    ROLES,
    ROLEBINDINGS,
    CLUSTERROLES,
    CLUSTERROLEBINDINGS,
    CUSTOMRESOURCEDEFINITIONS,
)
"""Every built-in kind, in the order `kubectl api-resources` would list its group."""

EXTRA_DEFINITIONS: tuple[str, ...] = (
    "io.k8s.api.autoscaling.v1.Scale",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    # the review kinds (pinnace.apiserver.reviews): answered, never stored
    "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
    "io.k8s.api.authorization.v1.SubjectAccessReview",
    "io.k8s.api.authorization.v1.LocalSubjectAccessReview",
    "io.k8s.api.authorization.v1.SelfSubjectRulesReview",
    "io.k8s.api.authentication.v1.SelfSubjectReview",
    "io.k8s.api.authentication.v1.TokenReview",
)
"""Definitions served beside the kinds: subresource bodies and meta/v1 types."""

_BY_GVK = {(i.group, i.version, i.kind): i for i in BUILTINS}
_BY_PLURAL = {(i.group, i.version, i.plural): i for i in BUILTINS}


def by_kind(group: str, version: str, kind: str) -> ResourceInfo | None:
    """The built-in kind at group/version/kind ("" is the core group), or None."""
    return _BY_GVK.get((group, version, kind))


def by_plural(group: str, version: str, plural: str) -> ResourceInfo | None:
    """The built-in kind whose URL segment is `plural`, or None."""
    return _BY_PLURAL.get((group, version, plural))


def definition_names() -> tuple[str, ...]:
    """The root definitions whose closure `scripts/generate_builtin_schemas.py` keeps."""
    return tuple(i.definition for i in BUILTINS if i.definition) + EXTRA_DEFINITIONS
