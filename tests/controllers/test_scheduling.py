"""The scheduler binds pending pods to the Ready node, or marks them unschedulable."""

from __future__ import annotations

from helpers import eventually

from pinnace.api import kinds
from pinnace.controllers import builtin


def pod(name: str, **spec: object) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": "x"}], **spec},
    }


async def test_binds_pending_pods_to_the_ready_node(platform) -> None:  # type: ignore[no-untyped-def]
    kube, _ = await platform(builtin.setup_scheduler)
    await kube.create(kinds.PODS, pod("a"))
    await kube.create(kinds.PODS, pod("other", schedulerName="custom"))
    await eventually(lambda: kube.objects(kinds.PODS)[0]["spec"].get("nodeName") == "node-1")
    assert "nodeName" not in kube.objects(kinds.PODS)[1]["spec"]
    await eventually(lambda: [e["reason"] for e in kube.objects(kinds.EVENTS)] == ["Scheduled"])


async def test_without_ready_node_pod_stays_pending_then_binds(platform) -> None:  # type: ignore[no-untyped-def]
    kube, _ = await platform(builtin.setup_scheduler, ready_node=False)
    await kube.create(kinds.PODS, pod("a", nodeSelector={"disk": "ssd"}))

    def condition() -> dict[str, object] | None:
        conds = kube.objects(kinds.PODS)[0].get("status", {}).get("conditions") or []
        return next((c for c in conds if c["type"] == "PodScheduled"), None)

    await eventually(lambda: condition() is not None)
    assert condition()["status"] == "False"  # type: ignore[index]
    assert condition()["reason"] == "Unschedulable"  # type: ignore[index]
    await eventually(
        lambda: [e["reason"] for e in kube.objects(kinds.EVENTS)] == ["FailedScheduling"]
    )
    await kube.create(kinds.NODES, {"metadata": {"name": "n2", "labels": {"disk": "ssd"}}})
    await kube.patch(
        kinds.NODES,
        "n2",
        {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        subresource="status",
    )
    await eventually(lambda: kube.objects(kinds.PODS)[0]["spec"].get("nodeName") == "n2")
    assert condition()["status"] == "True"  # type: ignore[index]
