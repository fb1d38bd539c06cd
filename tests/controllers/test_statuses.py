"""Status writing on the real API server: once per change, also when a CRD prunes fields."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pinnace.api import crds, kinds
from pinnace.controllers import conditions, statuses
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object


async def _notebook(kube: clients.KubeApi) -> Object:
    await kube.create(kinds.CUSTOMRESOURCEDEFINITIONS, crds.crd("notebooks.kubeflow.org"))
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": {"name": "nb", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [{"name": "nb", "image": "x"}]}}},
    }
    async with asyncio.timeout(5):
        while True:
            try:
                return await kube.create(kinds.NOTEBOOKS, body)
            except errors.NotFound:  # the CRD is not served yet
                await asyncio.sleep(0.01)


class Counting:
    """The client, counting status PUTs (the outcome here is "no request was made")."""

    def __init__(self, kube: clients.KubeApi) -> None:
        self.kube = kube
        self.puts = 0

    async def replace(self, rt: Any, obj: Object, *, subresource: str | None = None) -> Object:
        self.puts += 1
        return await self.kube.replace(rt, obj, subresource=subresource)


async def test_a_status_the_crd_prunes_is_written_once(kube: clients.KubeApi) -> None:
    nb = await _notebook(kube)
    counting = Counting(kube)
    client = cast(clients.KubeApi, counting)
    status = statuses.condition(
        nb, {"readyReplicas": 0}, "Ready", conditions.Status.FALSE, reason="Starting", message=""
    )
    written = await statuses.write(client, kinds.NOTEBOOKS, nb, status)
    # the Notebook CRD declares no status.observedGeneration: the server dropped it
    assert "observedGeneration" not in written["status"]
    assert written["status"]["readyReplicas"] == 0
    again = await statuses.write(client, kinds.NOTEBOOKS, written, status)
    assert objects.resource_version_of(again) == objects.resource_version_of(written)
    assert counting.puts == 1
    changed = {**status, "readyReplicas": 1}
    third = await statuses.write(client, kinds.NOTEBOOKS, again, changed)
    assert third["status"]["readyReplicas"] == 1
    assert counting.puts == 2


async def test_a_status_is_written_through_the_subresource_only(
    kube: clients.KubeApi,
) -> None:
    deploy = await kube.create(
        kinds.DEPLOYMENTS,
        {
            "metadata": {"name": "d", "namespace": "ns"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        },
    )
    edited = {**deploy, "spec": {**deploy["spec"], "replicas": 7}}
    written = await statuses.write(kube, kinds.DEPLOYMENTS, edited, {"replicas": 0})
    assert written["status"]["observedGeneration"] == 1
    assert written["spec"]["replicas"] == 1  # the spec is not writable through /status
    unchanged = await statuses.write(kube, kinds.DEPLOYMENTS, written, {"replicas": 0})
    assert objects.resource_version_of(unchanged) == objects.resource_version_of(written)
