"""The scheduler: binds pending pods to a Ready node, like kube-scheduler's default profile.

Woken for every pod without `spec.nodeName` (and, through a node mapper, for
every such pod when a node changes), `reconcile` picks among Ready,
schedulable nodes whose labels satisfy the pod's `nodeSelector` the one with
the fewest pods, and POSTs a `Binding` to `pods/{name}/binding`; the API server
sets `spec.nodeName` and the node agent (pinnace.runtime) starts the pod. A
pod with no fitting node stays Pending with `PodScheduled=False`
(`Unschedulable`) and a FailedScheduling event.
"""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.controllers import conditions, pods, reconciling
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey

SCHEDULER_NAME = "default-scheduler"


def node_is_ready(node: Object) -> bool:
    if (node.get("spec") or {}).get("unschedulable"):
        return False
    cond = conditions.find((node.get("status") or {}).get("conditions"), "Ready")
    return cond is not None and cond.get("status") == "True"


def fits(pod: Object, node: Object) -> bool:
    wanted = (pod.get("spec") or {}).get("nodeSelector") or {}
    labels = objects.labels_of(node)
    return all(labels.get(k) == v for k, v in wanted.items())


def needs_scheduling(pod: Object) -> bool:
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and spec.get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME
        and pods.is_active(pod)
    )


class Scheduler:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        pods: informers.Informer,
        nodes: informers.Informer,
        recorder: recording.EventRecorder,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.pods = pods
        self.nodes = nodes
        self.recorder = recorder
        self.clock = clock

    def pending_pods(self, _node: Object) -> list[ObjectKey]:
        """Node mapper: a node change may make every unscheduled pod schedulable."""
        return [objects.key_of(p) for p in self.pods.list() if needs_scheduling(p)]

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        pod = self.pods.get(key)
        if pod is None or not needs_scheduling(pod):
            return reconciling.DONE
        nodes = self.nodes.list()
        candidates = [n for n in nodes if node_is_ready(n) and fits(pod, n)]
        if not candidates:
            await self._unschedulable(pod, len(nodes))
            return reconciling.DONE
        load: dict[str, int] = {}
        for p in self.pods.list():
            node_name = (p.get("spec") or {}).get("nodeName")
            if node_name and pods.is_active(p):
                load[node_name] = load.get(node_name, 0) + 1
        target = min(
            candidates, key=lambda n: (load.get(objects.name_of(n), 0), objects.name_of(n))
        )
        node_name = objects.name_of(target)
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": key.name, "namespace": key.namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        try:
            await self.client.post(
                kinds.PODS, key.name, "binding", binding, namespace=key.namespace
            )
        except errors.NotFound:
            return reconciling.DONE
        except errors.Conflict:
            return reconciling.DONE  # bound meanwhile (by us or another scheduler)
        await self.recorder.event(
            pod, "Scheduled", f"Successfully assigned {key.namespace}/{key.name} to {node_name}"
        )
        return reconciling.DONE

    async def _unschedulable(self, pod: Object, node_count: int) -> None:
        message = (
            f"0/{node_count} nodes are available: no Ready node matches the pod."
            if node_count
            else "no nodes available to schedule pods"
        )
        status = pod.get("status") or {}
        old = conditions.find(status.get("conditions"), "PodScheduled")
        if old and old.get("status") == "False" and old.get("message") == message:
            return
        conds = conditions.set_condition(
            status.get("conditions"),
            "PodScheduled",
            "False",
            reason="Unschedulable",
            message=message,
            now=clocks.rfc3339(self.clock.now()),
        )
        try:
            await self.client.patch(
                kinds.PODS,
                objects.name_of(pod),
                {"status": {"conditions": conds}},
                namespace=objects.namespace_of(pod),
                subresource="status",
            )
        except errors.NotFound:
            return
        await self.recorder.warning(pod, "FailedScheduling", message)
