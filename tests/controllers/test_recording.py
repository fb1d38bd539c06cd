"""Events are posted like kube's recorder and repeats are aggregated into `count`."""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.controllers import recording
from pinnace.kits import clocks
from pinnace.kits.kube import fakes


async def test_event_body_and_count_aggregation() -> None:
    clock = clocks.ManualClock()
    fake = fakes.FakeKube(clock=clock)
    pod = await fake.create(kinds.PODS, {"metadata": {"name": "p", "namespace": "ns"}})
    rec = recording.EventRecorder(fake, "deployment-controller", clock=clock)
    await rec.event(pod, "SuccessfulCreate", "Created pod: p")
    clock.advance(5)
    await rec.event(pod, "SuccessfulCreate", "Created pod: p")
    await rec.warning(pod, "FailedCreate", "quota")
    events = fake.objects(kinds.EVENTS, "ns")
    assert len(events) == 2
    first = next(e for e in events if e["reason"] == "SuccessfulCreate")
    assert first["count"] == 2
    assert first["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert first["involvedObject"]["kind"] == "Pod"
    assert first["source"] == {"component": "deployment-controller"}
    assert first["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert first["lastTimestamp"] == "2026-01-01T00:00:05Z"
    assert next(e for e in events if e["reason"] == "FailedCreate")["type"] == "Warning"


async def test_event_recreated_when_deleted_and_cluster_scoped_to_default() -> None:
    fake = fakes.FakeKube()
    node = await fake.create(kinds.NODES, {"metadata": {"name": "n"}})
    rec = recording.EventRecorder(fake, "scheduler")
    await rec.event(node, "Registered", "node up")
    for e in fake.objects(kinds.EVENTS):
        await fake.delete(kinds.EVENTS, e["metadata"]["name"], namespace="default")
    await rec.event(node, "Registered", "node up")
    events = fake.objects(kinds.EVENTS, "default")
    assert [e["count"] for e in events] == [1]
