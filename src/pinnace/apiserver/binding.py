"""`pods/<name>/binding` (or a Binding POSTed to `bindings`): the write that puts a pod on a node.

A POSTed v1 Binding sets the pod's `spec.nodeName` (once: a bound pod, or one
being deleted, answers 409) and its `PodScheduled` condition. The change goes
through the pods' generic store like any write (`stores.Store` with a
`TrustedStrategy`: this storage alone decides what moves), so dry-run and
admission apply and the watch sees one MODIFIED.
"""

from __future__ import annotations

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors, rest, stores
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


class BindingStorage(rest.Storage):
    def __init__(self, pods: stores.Store, view: ResourceInfo) -> None:
        self.pods = pods
        self.info = pods.info
        self.view = view

    async def create(
        self, namespace: str, parent: str | None, obj: Object, options: rest.Options
    ) -> tuple[int, Object]:
        name = parent or str((obj.get("metadata") or {}).get("name") or "")
        node = (obj.get("target") or {}).get("name")
        if not node:
            raise errors.Invalid.of(
                "Binding",
                name,
                "",
                [errors.cause("target.name", "Required value", "FieldValueRequired")],
            )
        pod = self.pods.existing(namespace, name)
        current = (pod.get("spec") or {}).get("nodeName")
        if current:
            raise errors.Conflict(
                f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is '
                f'already assigned to node "{current}"'
            )
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.Conflict(
                f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is being '
                "deleted, cannot be assigned to a host"
            )
        await self.pods.write_update(self._bound(pod, str(node)), pod, options)
        return 201, {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }

    def _bound(self, pod: Object, node: str) -> Object:
        new = objects.clone(pod)
        new["spec"]["nodeName"] = node
        status = new.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append(
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": self.pods.server.now(),
            }
        )
        status["conditions"] = conditions
        return new
