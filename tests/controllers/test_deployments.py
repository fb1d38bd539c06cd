"""Deployments: pods from the template, scaling, rolling and recreate rollouts, status."""

from __future__ import annotations

import re
from typing import Any

import helpers
import pytest
from helpers import eventually, run_pods
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import builtin, deployments


def deployment(replicas: int = 3, image: str = "v1", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            **spec,
        },
    }


def live(kube: apiservers.Kube) -> list[dict[str, Any]]:
    return [p for p in kube.objects(kinds.PODS) if not p["metadata"].get("deletionTimestamp")]


def status(kube: apiservers.Kube) -> dict[str, Any]:
    return kube.objects(kinds.DEPLOYMENTS)[0].get("status") or {}


def kubelet(kube: apiservers.Kube, peak: list[int]) -> Any:
    """Run bound pods continuously and record the peak number of live pods."""

    def count() -> None:
        peak[0] = max(peak[0], len(live(kube)))

    return helpers.kubelet(kube, each=count)


@pytest.fixture
async def deployed(platform: Any) -> tuple[apiservers.Kube, Any]:
    kube, mgr = await platform(
        builtin.setup_scheduler, builtin.setup_deployments, builtin.setup_garbage_collector
    )
    await kube.create(kinds.DEPLOYMENTS, deployment())
    await eventually(lambda: len(kube.objects(kinds.PODS)) == 3)
    return kube, mgr


async def test_pods_named_labelled_owned_and_status_ready(deployed: Any) -> None:
    kube, _ = deployed
    d = kube.objects(kinds.DEPLOYMENTS)[0]
    h = deployments.template_hash(d["spec"]["template"])
    for p in kube.objects(kinds.PODS):
        assert re.fullmatch(rf"web-{h}-[bcdfghjklmnpqrstvwxz2456789]{{5}}", p["metadata"]["name"])
        assert p["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
        assert p["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    await eventually(lambda: all(p["spec"].get("nodeName") for p in kube.objects(kinds.PODS)))
    await run_pods(kube)
    await eventually(lambda: status(kube).get("availableReplicas") == 3)
    st = status(kube)
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"]) == (3, 3, 3)
    assert st["observedGeneration"] == 1
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["Available"]["status"] == "True"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert sorted({e["reason"] for e in kube.objects(kinds.EVENTS)}) == [
        "Scheduled",
        "SuccessfulCreate",
    ]


async def test_scale_down_prefers_not_ready_pods_then_zero(deployed: Any) -> None:
    kube, _ = deployed
    await eventually(lambda: all(p["spec"].get("nodeName") for p in kube.objects(kinds.PODS)))
    await run_pods(kube)
    sick = kube.objects(kinds.PODS)[1]["metadata"]["name"]
    await kube.patch(
        kinds.PODS,
        sick,
        {"status": {"conditions": [{"type": "Ready", "status": "False"}]}},
        namespace="ns",
        subresource="status",
    )
    await kube.patch(kinds.DEPLOYMENTS, "web", {"spec": {"replicas": 2}}, namespace="ns")
    await eventually(lambda: len(live(kube)) == 2)
    assert sick not in [p["metadata"]["name"] for p in live(kube)]
    await kube.patch(kinds.DEPLOYMENTS, "web", {"spec": {"replicas": 0}}, namespace="ns")
    await eventually(lambda: live(kube) == [] and status(kube).get("observedGeneration") == 3)
    assert "SuccessfulDelete" in {e["reason"] for e in kube.objects(kinds.EVENTS)}


async def test_rolling_update_respects_surge_and_replaces_all(deployed: Any) -> None:
    kube, _ = deployed
    peak = [0]
    async with kubelet(kube, peak):
        await eventually(lambda: status(kube).get("availableReplicas") == 3)
        peak[0] = 0
        await kube.patch(
            kinds.DEPLOYMENTS,
            "web",
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v2"}]}}}},
            namespace="ns",
        )
        d = kube.objects(kinds.DEPLOYMENTS)[0]
        h2 = deployments.template_hash(d["spec"]["template"])

        def rolled() -> bool:
            pods = live(kube)
            st = status(kube)
            return (
                len(pods) == 3
                and all(p["metadata"]["labels"]["pod-template-hash"] == h2 for p in pods)
                and st.get("updatedReplicas") == 3
                and st.get("availableReplicas") == 3
                and st.get("observedGeneration") == 2
            )

        await eventually(rolled, timeout=5)
    assert peak[0] <= 4  # maxSurge 25% of 3 rounds up to 1


async def test_recreate_removes_old_pods_before_new(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_scheduler, builtin.setup_deployments)
    await kube.create(kinds.DEPLOYMENTS, deployment(2, strategy={"type": "Recreate"}))
    peak = [0]
    async with kubelet(kube, peak):
        await eventually(lambda: status(kube).get("availableReplicas") == 2)
        await kube.patch(
            kinds.DEPLOYMENTS,
            "web",
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v2"}]}}}},
            namespace="ns",
        )
        await eventually(
            lambda: (
                status(kube).get("updatedReplicas") == 2
                and status(kube).get("availableReplicas") == 2
                and len(live(kube)) == 2
            )
        )
    assert peak[0] == 2


async def test_deleting_the_deployment_removes_its_pods(deployed: Any) -> None:
    kube, _ = deployed
    await eventually(lambda: all(p["spec"].get("nodeName") for p in kube.objects(kinds.PODS)))
    await kube.delete(kinds.DEPLOYMENTS, "web", namespace="ns")
    # Bound pods end gracefully: they go once the node agent has stopped them.
    await eventually(lambda: len(kube.objects(kinds.PODS)) == 3 and live(kube) == [])
    async with helpers.kubelet(kube, start=False):
        await eventually(lambda: kube.objects(kinds.PODS) == [])


def test_percentages_round_like_kube() -> None:
    d = deployment(10, strategy={"rollingUpdate": {"maxSurge": "30%", "maxUnavailable": "30%"}})
    assert deployments.surge_and_unavailable(d, 10) == (3, 3)
    assert deployments.surge_and_unavailable(deployment(3), 3) == (1, 0)
    zero = deployment(3, strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert deployments.surge_and_unavailable(zero, 3) == (0, 1)
