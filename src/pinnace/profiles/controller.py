"""The Profile controller: one Profile → one namespace and what upstream puts in it.

As upstream's `profile_controller.go`, for a Profile named N owned by
`spec.owner`:

- Namespace N, annotated `owner: <owner>`, with the labels of upstream's
  `namespace-labels` ConfigMap (`katib.kubeflow.org/metrics-collector-injection`,
  `serving.kubeflow.org/inferenceservice`, `pipelines.kubeflow.org/enabled`,
  `app.kubernetes.io/part-of: kubeflow-profile`). A namespace N that exists
  already is taken over only if its `owner` annotation names the same owner;
  otherwise the Profile fails with upstream's message.
- ServiceAccounts `default-editor` and `default-viewer`, bound (RoleBindings of
  the same names) to `kubeflow-edit` and `kubeflow-view`.
- RoleBinding `namespaceAdmin` (annotations `user`, `role: admin`) giving the
  owner `kubeflow-admin`.
- ResourceQuota `kf-resource-quota` with `spec.resourceQuotaSpec` when it sets
  `hard`; removed when it no longer does.

Every child carries a controller ownerReference to the Profile, so deleting the
Profile removes the namespace and all in it (the garbage collector). The status
is one `Ready` condition; a spec that cannot work (no owner, a namespace held by
someone else) is a terminal error the runner records (`Ready=False`, an Event).
Istio's AuthorizationPolicy has no counterpart: the gateway decides (RBAC).
"""

from __future__ import annotations

import contextlib

from pinnace.api import kinds
from pinnace.api.views import profiles as views
from pinnace.controllers import conditions, owning, reconciling, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.profiles import contributors, roles

NAMESPACE_LABELS = {
    "katib.kubeflow.org/metrics-collector-injection": "enabled",
    "serving.kubeflow.org/inferenceservice": "enabled",
    "pipelines.kubeflow.org/enabled": "true",
    "app.kubernetes.io/part-of": "kubeflow-profile",
}
"""Upstream's `namespace-labels.yaml` (without `istio-injection`: there is no mesh)."""

EDITOR, VIEWER = "default-editor", "default-viewer"
ADMIN_BINDING = "namespaceAdmin"
QUOTA = "kf-resource-quota"


class InvalidProfile(reconciling.TerminalError):
    def __init__(self, message: str) -> None:
        super().__init__(message, reason="InvalidSpec")


class NamespaceTaken(reconciling.TerminalError):
    def __init__(self, namespace: str, owner: str) -> None:
        super().__init__(
            f'namespace "{namespace}" already exists, but is not owned by profile creator {owner}',
            reason="NamespaceOwnedByOther",
        )


def owner_subject(obj: Object) -> Object:
    """`spec.owner` as an RBAC subject (User and Group get the RBAC apiGroup)."""
    raw = dict((obj.get("spec") or {}).get("owner") or {})
    kind = str(raw.get("kind") or "User")
    subject: Object = {"kind": kind, "name": str(raw.get("name") or "")}
    if kind == "ServiceAccount":
        subject["namespace"] = str(raw.get("namespace") or objects.name_of(obj))
    else:
        subject["apiGroup"] = contributors.RBAC_GROUP
    return subject


def _cluster_role_binding(name: str, namespace: str, role: str, subject: Object) -> Object:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": contributors.RBAC_GROUP, "kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }


class ProfileController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        profiles: informers.Informer,
        namespaces: informers.Informer,
        serviceaccounts: informers.Informer,
        rolebindings: informers.Informer,
        quotas: informers.Informer,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client, self.clock = client, clock
        self.profiles, self.namespaces = profiles, namespaces
        self.serviceaccounts, self.rolebindings, self.quotas = serviceaccounts, rolebindings, quotas

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        obj = self.profiles.get(key)
        if obj is None or objects.is_deleting(obj):
            return reconciling.DONE  # the garbage collector removes the namespace
        profile = views.Profile.parse(obj)
        if profile.owner is None:
            raise InvalidProfile("spec.owner.name: Required value: a Profile needs an owner")
        ns, owner = profile.namespace, profile.owner.name
        await self._namespace(obj, ns, owner)
        for sa in (EDITOR, VIEWER):
            await owning.ensure(
                self.client,
                kinds.SERVICEACCOUNTS,
                obj,
                {"metadata": {"name": sa, "namespace": ns}},
                cache=self.serviceaccounts,
            )
        bindings = [
            (EDITOR, roles.EDIT, {"kind": "ServiceAccount", "name": EDITOR, "namespace": ns}),
            (VIEWER, roles.VIEW, {"kind": "ServiceAccount", "name": VIEWER, "namespace": ns}),
        ]
        for name, role, subject in bindings:
            await owning.ensure(
                self.client,
                kinds.ROLEBINDINGS,
                obj,
                _cluster_role_binding(name, ns, role, subject),
                cache=self.rolebindings,
            )
        admin = _cluster_role_binding(ADMIN_BINDING, ns, roles.ADMIN, owner_subject(obj))
        admin["metadata"]["annotations"] = {"user": owner, "role": "admin"}
        await owning.ensure(self.client, kinds.ROLEBINDINGS, obj, admin, cache=self.rolebindings)
        await self._quota(obj, ns, profile.resource_quota)
        status = statuses.condition(
            obj,
            {},
            "Ready",
            conditions.Status.TRUE,
            reason="ProfileReady",
            message=f'namespace "{ns}" is set up for {owner}',
            clock=self.clock,
        )
        await statuses.write(self.client, kinds.PROFILES, obj, status)
        return reconciling.DONE

    async def _namespace(self, obj: Object, ns: str, owner: str) -> None:
        current = self.namespaces.get(ObjectKey("", ns))
        adopt = False
        if current is not None and not owning.controlled_by(current, obj):
            annotations = objects.meta(current).get("annotations") or {}
            if annotations.get("owner") != owner:
                raise NamespaceTaken(ns, owner)
            adopt = True
        desired = {
            "metadata": {"name": ns, "labels": NAMESPACE_LABELS, "annotations": {"owner": owner}}
        }
        await owning.ensure(
            self.client, kinds.NAMESPACES, obj, desired, cache=self.namespaces, adopt=adopt
        )

    async def _quota(self, obj: Object, ns: str, spec: Object) -> None:
        if spec.get("hard"):
            await owning.mutate(
                self.client,
                kinds.RESOURCEQUOTAS,
                obj,
                ObjectKey(ns, QUOTA),
                lambda quota: quota.__setitem__("spec", objects.clone(dict(spec))),
                cache=self.quotas,
            )
            return
        current = self.quotas.get(ObjectKey(ns, QUOTA))
        if current is not None and owning.controlled_by(current, obj):
            with contextlib.suppress(errors.NotFound):
                await self.client.delete(kinds.RESOURCEQUOTAS, QUOTA, namespace=ns)
