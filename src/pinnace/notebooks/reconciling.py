"""The Notebook controller's reconcile: a Notebook → StatefulSet, Service, VirtualService, status.

`setup` (the package's `__init__`) wires `NotebookController` into the
controller manager with the Notebook informer as primary, the three child
kinds as owned, and pods mapped back through their `notebook-name` label. A
pass reads the Notebook from the cache, computes the children (`children`),
creates or patches them through `controllers.owning.ensure` (ownerReferences
to the Notebook, so deleting it removes them all and leaves the workspace
claim, which it never owned), then mirrors the StatefulSet and pod into the
status (`mirroring`) and writes it only if it changed. Stop and start are
the same pass: the `kubeflow-resource-stopped` annotation sets replicas to 0
or 1. A Notebook without a server container is a `TerminalError`
(condition and Warning Event by the runner). Events about the pod and the
StatefulSet are re-issued on the Notebook by `reissuing`.
"""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.controllers import owning, reconciling, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.notebooks import children, mirroring


class NotebookController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        notebooks: informers.Informer,
        statefulsets: informers.Informer,
        services: informers.Informer,
        virtualservices: informers.Informer,
        pods: informers.Informer,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.notebooks = notebooks
        self.statefulsets = statefulsets
        self.services = services
        self.virtualservices = virtualservices
        self.pods = pods
        self.clock = clock

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        notebook = self.notebooks.get(key)
        if notebook is None or objects.is_deleting(notebook):
            return reconciling.DONE  # the garbage collector removes what it owned
        try:
            desired_set = children.stateful_set(notebook)
        except ValueError as exc:
            raise reconciling.TerminalError(str(exc), reason="InvalidSpec") from exc
        sts = await owning.ensure(
            self.client, kinds.STATEFULSETS, notebook, desired_set, cache=self.statefulsets
        )
        await owning.ensure(
            self.client, kinds.SERVICES, notebook, children.service(notebook), cache=self.services
        )
        await owning.ensure(
            self.client,
            kinds.VIRTUALSERVICES,
            notebook,
            children.virtual_service(notebook),
            cache=self.virtualservices,
        )
        pod = self._pod(notebook)
        status = mirroring.status(notebook, sts.object, pod, now=clocks.rfc3339(self.clock.now()))
        await statuses.write(self.client, kinds.NOTEBOOKS, notebook, status)
        return reconciling.DONE

    def _pod(self, notebook: Object) -> Object | None:
        """The server pod `<name>-0`, if it is the StatefulSet's (not a stranger of that name)."""
        name = objects.name_of(notebook)
        pod = self.pods.get(ObjectKey(objects.namespace_of(notebook), children.pod_name(name)))
        if pod is None or objects.labels_of(pod).get(children.NAME_LABEL) != name:
            return None
        return pod


def pod_to_notebook(pod: Object) -> list[ObjectKey]:
    """A pod's Notebook, by the `notebook-name` label the controller gives its pods."""
    name = objects.labels_of(pod).get(children.NAME_LABEL)
    return [ObjectKey(objects.namespace_of(pod), name)] if name else []
