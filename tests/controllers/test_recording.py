"""Events are posted like kube's recorder and repeats are aggregated into `count`."""

from __future__ import annotations

from pathlib import Path

from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import recording
from pinnace.kits import clocks

POD = {
    "metadata": {"name": "p", "namespace": "ns"},
    "spec": {"containers": [{"name": "c", "image": "x"}]},
}


async def test_event_body_and_count_aggregation(tmp_path: Path) -> None:
    clock = clocks.ManualClock()
    async with apiservers.serve(tmp_path, clock=clock) as kube:
        await recorded_twice_and_a_warning(kube, clock)


async def recorded_twice_and_a_warning(kube: apiservers.Kube, clock: clocks.ManualClock) -> None:
    pod = await kube.create(kinds.PODS, POD)
    rec = recording.EventRecorder(kube, "deployment-controller", clock=clock)
    await rec.event(pod, "SuccessfulCreate", "Created pod: p")
    clock.advance(5)
    await rec.event(pod, "SuccessfulCreate", "Created pod: p")
    await rec.warning(pod, "FailedCreate", "quota")
    events = kube.objects(kinds.EVENTS, "ns")
    assert len(events) == 2
    first = next(e for e in events if e["reason"] == "SuccessfulCreate")
    assert first["count"] == 2
    assert first["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert first["involvedObject"]["kind"] == "Pod"
    assert first["source"] == {"component": "deployment-controller"}
    assert first["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert first["lastTimestamp"] == "2026-01-01T00:00:05Z"
    assert next(e for e in events if e["reason"] == "FailedCreate")["type"] == "Warning"


async def test_event_recreated_when_deleted_and_cluster_scoped_to_default(
    kube: apiservers.Kube,
) -> None:
    node = await kube.create(kinds.NODES, {"metadata": {"name": "n"}})
    rec = recording.EventRecorder(kube, "scheduler")
    await rec.event(node, "Registered", "node up")
    for e in kube.objects(kinds.EVENTS):
        await kube.delete(kinds.EVENTS, e["metadata"]["name"], namespace="default")
    await rec.event(node, "Registered", "node up")
    events = kube.objects(kinds.EVENTS, "default")
    assert [e["count"] for e in events] == [1]
