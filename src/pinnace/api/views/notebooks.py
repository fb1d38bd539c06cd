"""`Notebook` (kubeflow.org/v1): the server's pod template, whether it is stopped, its status.

Upstream's notebook controller turns a Notebook into a StatefulSet of one pod
and a Service; culling stops it by setting the `kubeflow-resource-stopped`
annotation (replicas 0) and reads `notebooks.kubeflow.org/last-activity`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinnace.api.views import conditions, metas, pods
from pinnace.kits.kube.objects import Object

STOPPED_ANNOTATION = "kubeflow-resource-stopped"
LAST_ACTIVITY_ANNOTATION = "notebooks.kubeflow.org/last-activity"


@dataclass(frozen=True, slots=True)
class NotebookStatus:
    ready_replicas: int
    container_state: pods.ContainerState | None
    conditions: tuple[conditions.Condition, ...]


@dataclass(frozen=True, slots=True)
class Notebook:
    meta: metas.Meta
    pod_template: Object
    """`spec.template` as written (a pod template: metadata + spec); copy before changing."""
    image: str
    """The first container's image (upstream names the server's container after the Notebook)."""
    status: NotebookStatus

    @property
    def stopped(self) -> bool:
        return self.meta.annotation(STOPPED_ANNOTATION) is not None

    @property
    def last_activity(self) -> str | None:
        return self.meta.annotation(LAST_ACTIVITY_ANNOTATION)

    @staticmethod
    def parse(obj: Object) -> Notebook:
        template = metas.section(metas.section(obj, "spec"), "template")
        containers = metas.section(template, "spec").get("containers") or []
        first = containers[0] if containers and isinstance(containers[0], dict) else {}
        status = metas.section(obj, "status")
        return Notebook(
            meta=metas.Meta.parse(obj),
            pod_template=template,
            image=str(first.get("image") or ""),
            status=NotebookStatus(
                ready_replicas=int(status.get("readyReplicas") or 0),
                container_state=pods.ContainerState.parse(status.get("containerState")),
                conditions=conditions.parse_all(status.get("conditions")),
            ),
        )
