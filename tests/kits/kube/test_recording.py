"""The one event recorder folds repeats like client-go's correlator, on the real API server."""

from __future__ import annotations

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import clients, recording
from pinnace.kits.kube.objects import Object


async def _pod(kube: clients.KubeApi) -> Object:
    return await kube.create(
        kinds.PODS,
        {
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        },
    )


async def _events(kube: clients.KubeApi, namespace: str = "ns") -> list[Object]:
    return (await kube.list(kinds.EVENTS, namespace=namespace)).items


async def test_event_body_and_repeats_bump_count(kube: clients.KubeApi) -> None:
    clock = clocks.ManualClock()
    pod = await _pod(kube)
    rec = recording.EventRecorder(kube, "deployment-controller", clock=clock)
    await rec.event(pod, "SuccessfulCreate", "Created pod: p")
    clock.advance(5)
    await rec.event(pod, "SuccessfulCreate", "Created pod: p")
    await rec.warning(pod, "FailedCreate", "quota")
    events = await _events(kube)
    assert len(events) == 2
    first = next(e for e in events if e["reason"] == "SuccessfulCreate")
    assert first["count"] == 2
    assert first["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert first["involvedObject"]["kind"] == "Pod"
    assert first["source"] == {"component": "deployment-controller"}
    assert first["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert first["lastTimestamp"] == "2026-01-01T00:00:05Z"
    assert next(e for e in events if e["reason"] == "FailedCreate")["type"] == "Warning"


async def test_a_crash_loop_keeps_one_backoff_event(kube: clients.KubeApi) -> None:
    clock = clocks.ManualClock()
    pod = await _pod(kube)
    rec = recording.EventRecorder(kube, "kubelet", host="node-1", clock=clock)
    for _ in range(6):
        rec.emit(pod, "BackOff", "Back-off restarting failed container c", type_=recording.WARNING)
        clock.advance(10)
    await rec.drain()
    events = await _events(kube)
    assert [(e["reason"], e["count"]) for e in events] == [("BackOff", 6)]
    assert events[0]["source"] == {"component": "kubelet", "host": "node-1"}
    assert events[0]["lastTimestamp"] == "2026-01-01T00:00:50Z"


async def test_many_similar_messages_are_combined(kube: clients.KubeApi) -> None:
    pod = await _pod(kube)
    rec = recording.EventRecorder(kube, "kubelet", similar=3)
    for i in range(6):
        await rec.warning(pod, "Unhealthy", f"Readiness probe failed: attempt {i}")
    events = await _events(kube)
    plain = sorted(e["message"] for e in events if not e["message"].startswith("(combined"))
    combined = [e for e in events if e["message"].startswith("(combined")]
    assert plain == [f"Readiness probe failed: attempt {i}" for i in range(3)]
    assert len(combined) == 1
    assert combined[0]["count"] == 3
    assert combined[0]["message"] == (
        "(combined from similar events): Readiness probe failed: attempt 5"
    )


async def test_a_deleted_event_is_posted_again_and_cluster_objects_go_to_default(
    kube: clients.KubeApi,
) -> None:
    node = await kube.create(kinds.NODES, {"metadata": {"name": "n"}})
    rec = recording.EventRecorder(kube, "scheduler")
    await rec.event(node, "Registered", "node up")
    for e in await _events(kube, "default"):
        await kube.delete(kinds.EVENTS, e["metadata"]["name"], namespace="default")
    await rec.event(node, "Registered", "node up")
    assert [e["count"] for e in await _events(kube, "default")] == [1]


async def test_posting_into_a_missing_namespace_does_not_raise(kube: clients.KubeApi) -> None:
    rec = recording.EventRecorder(kube, "x")
    ghost = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "g", "namespace": "nope"}}
    await rec.event(ghost, "Started", "hello")
    assert await _events(kube, "nope") == []


async def test_two_components_on_one_object_at_one_instant_both_post(
    kube: clients.KubeApi,
) -> None:
    clock = clocks.ManualClock()
    pod = await _pod(kube)
    scheduler = recording.EventRecorder(kube, "default-scheduler", clock=clock)
    kubelet = recording.EventRecorder(kube, "kubelet", clock=clock)
    await scheduler.event(pod, "Scheduled", "assigned")
    await kubelet.event(pod, "Started", "started")
    assert sorted(e["reason"] for e in await _events(kube)) == ["Scheduled", "Started"]
