"""Time as a result: minReadySeconds, progressDeadlineSeconds and paused on a manual clock.

The Deployment and StatefulSet controllers run against the real in-process API
server; the test plays the node agent (pod status) and moves a `ManualClock`.
A wait is a `requeue_after` on that clock, so nothing here sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from pinnace.api import kinds
from pinnace.controllers import builtin, conditions, manager, running
from pinnace.kits import clocks
from pinnace.kits.kube import clients, objects
from pinnace.kits.kube.objects import Object

Start = Callable[..., Any]


@pytest.fixture
async def started(kube: clients.KubeApi) -> AsyncIterator[Start]:
    managers: list[manager.Manager] = []

    async def start(*setups: Any, clock: clocks.Clock) -> manager.Manager:
        mgr = manager.Manager(kube, clock=clock)
        for setup in setups:
            setup(mgr)
        await mgr.start()
        managers.append(mgr)
        return mgr

    yield start
    for mgr in managers:
        await mgr.stop()


async def settled(mgr: manager.Manager) -> None:
    """Every controller is idle: nothing queued or being reconciled (its timers are set)."""

    def idle() -> bool:
        return all(
            len(c.queue) == 0 and not c.queue.processing
            for c in mgr.controllers
            if isinstance(c, running.Controller)
        )

    infs = {
        id(i): i for c in mgr.controllers if isinstance(c, running.Controller) for i in c.informers
    }

    async def caught_up() -> bool:
        """Each informer's cache holds what the API holds (no watch event still in flight)."""
        for inf in infs.values():
            listed = await mgr.client.list(inf.resource_type)
            want = {objects.key_of(o): objects.resource_version_of(o) for o in listed.items}
            have = {
                k: objects.resource_version_of(o) for k in inf.cached_keys() if (o := inf.get(k))
            }
            if want != have:
                return False
        return idle()

    await eventually_async(caught_up, 5.0)


def template(image: str = "v1") -> Object:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }


def workload(**spec: Any) -> Object:
    return {
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template(), **spec},
    }


class Probe:
    """Polls the API (the truth, not a cache) for conditions on objects."""

    def __init__(self, kube: clients.KubeApi) -> None:
        self.kube = kube
        self.seen: dict[str, Object] = {}

    async def until(self, rt: Any, check: Callable[[Object], bool], timeout: float = 5.0) -> Object:
        obj: Object = {}

        async def fetch() -> bool:
            nonlocal obj
            obj = await self.kube.get(rt, "web", namespace="ns")
            return check(obj)

        await eventually_async(fetch, timeout)
        return obj

    async def pods(self) -> list[Object]:
        items = (await self.kube.list(kinds.PODS, namespace="ns")).items
        return [p for p in items if not objects.is_deleting(p)]


async def eventually_async(check: Callable[[], Any], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 (polling the API, which has no event to wait on)
            await asyncio.sleep(0.01)


async def ready(kube: clients.KubeApi, pod: Object, clock: clocks.Clock) -> None:
    """Play the node agent: the pod is Running and Ready since `clock.now()`."""
    stamp = clocks.rfc3339(clock.now())
    await kube.patch(
        kinds.PODS,
        objects.name_of(pod),
        {
            "status": {
                "phase": "Running",
                "podIP": "127.0.0.9",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp}],
            }
        },
        namespace="ns",
        subresource="status",
    )


def status(obj: Object) -> Object:
    return obj.get("status") or {}


async def test_statefulset_min_ready_seconds_counts_available_on_time(
    kube: clients.KubeApi, started: Start
) -> None:
    clock = clocks.ManualClock()
    mgr = await started(builtin.setup_statefulsets, clock=clock)
    probe = Probe(kube)
    await kube.create(
        kinds.STATEFULSETS, workload(replicas=1, minReadySeconds=1, serviceName="web")
    )
    await eventually_async(lambda: _count(probe, 1), 5)
    (pod,) = await probe.pods()
    await ready(kube, pod, clock)
    sts = await probe.until(kinds.STATEFULSETS, lambda o: status(o).get("readyReplicas") == 1)
    assert status(sts)["availableReplicas"] == 0
    await settled(mgr)
    clock.advance(1.1)
    sts = await probe.until(kinds.STATEFULSETS, lambda o: status(o).get("availableReplicas") == 1)
    assert status(sts)["observedGeneration"] == sts["metadata"]["generation"]


async def test_deployment_min_ready_seconds_then_available(
    kube: clients.KubeApi, started: Start
) -> None:
    clock = clocks.ManualClock()
    mgr = await started(builtin.setup_deployments, clock=clock)
    probe = Probe(kube)
    await kube.create(kinds.DEPLOYMENTS, workload(replicas=1, minReadySeconds=30))
    await eventually_async(lambda: _count(probe, 1), 5)
    (pod,) = await probe.pods()
    await ready(kube, pod, clock)
    dep = await probe.until(kinds.DEPLOYMENTS, lambda o: status(o).get("readyReplicas") == 1)
    assert status(dep).get("availableReplicas", 0) == 0
    available = conditions.find(status(dep).get("conditions"), "Available")
    assert available is not None and available["status"] == "False"
    await settled(mgr)
    clock.advance(29)
    await settled(mgr)
    dep = await kube.get(kinds.DEPLOYMENTS, "web", namespace="ns")
    assert status(dep).get("availableReplicas", 0) == 0  # not before minReadySeconds
    clock.advance(1.2)
    dep = await probe.until(kinds.DEPLOYMENTS, lambda o: status(o).get("availableReplicas") == 1)
    available = conditions.find(status(dep).get("conditions"), "Available")
    assert available is not None and available["status"] == "True"


async def test_deployment_progress_deadline_exceeded(kube: clients.KubeApi, started: Start) -> None:
    clock = clocks.ManualClock()
    mgr = await started(builtin.setup_deployments, clock=clock)
    probe = Probe(kube)
    await kube.create(kinds.DEPLOYMENTS, workload(replicas=1, progressDeadlineSeconds=60))

    def progressing(reason: str) -> Callable[[Object], bool]:
        def check(o: Object) -> bool:
            cond = conditions.find(status(o).get("conditions"), "Progressing")
            return cond is not None and cond.get("reason") == reason

        return check

    await probe.until(kinds.DEPLOYMENTS, progressing("ReplicaSetUpdated"))
    await settled(mgr)
    clock.advance(30)
    await settled(mgr)
    dep = await kube.get(kinds.DEPLOYMENTS, "web", namespace="ns")
    assert progressing("ReplicaSetUpdated")(dep)  # not yet
    clock.advance(31)
    dep = await probe.until(kinds.DEPLOYMENTS, progressing("ProgressDeadlineExceeded"))
    cond = conditions.find(status(dep)["conditions"], "Progressing")
    assert cond is not None and cond["status"] == "False"
    assert cond["message"] == 'Deployment "web" has timed out progressing.'


async def test_paused_deployment_does_not_roll_until_resumed(
    kube: clients.KubeApi, started: Start
) -> None:
    clock = clocks.ManualClock()
    await started(builtin.setup_deployments, clock=clock)
    probe = Probe(kube)
    await kube.create(kinds.DEPLOYMENTS, workload(replicas=2))
    await eventually_async(lambda: _count(probe, 2), 5)
    for pod in await probe.pods():
        await ready(kube, pod, clock)
    await probe.until(kinds.DEPLOYMENTS, lambda o: status(o).get("availableReplicas") == 2)
    old_hashes = {objects.labels_of(p)["pod-template-hash"] for p in await probe.pods()}
    await kube.patch(
        kinds.DEPLOYMENTS,
        "web",
        {"spec": {"paused": True, "template": template("v2")}},
        namespace="ns",
    )
    dep = await probe.until(
        kinds.DEPLOYMENTS,
        lambda o: status(o).get("observedGeneration") == o["metadata"]["generation"],
    )
    assert status(dep).get("updatedReplicas", 0) == 0
    assert {objects.labels_of(p)["pod-template-hash"] for p in await probe.pods()} == old_hashes
    await kube.patch(kinds.DEPLOYMENTS, "web", {"spec": {"paused": False}}, namespace="ns")

    async def rolled() -> bool:
        pods = await probe.pods()
        for pod in pods:
            new = objects.labels_of(pod)["pod-template-hash"] not in old_hashes
            if new and (pod.get("status") or {}).get("phase") != "Running":
                await ready(kube, pod, clock)
        hashes = {objects.labels_of(p)["pod-template-hash"] for p in pods}
        return bool(pods) and not hashes & old_hashes

    await eventually_async(rolled, 10)


async def _count(probe: Probe, n: int) -> bool:
    return len(await probe.pods()) == n
