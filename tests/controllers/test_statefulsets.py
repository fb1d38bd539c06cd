"""StatefulSets: ordered pods, stable PVCs, scale down from the top, rolling update."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import eventually, kubelet, run_pods
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import builtin


def sts(replicas: int = 3, image: str = "v1") -> dict[str, Any]:
    return {
        "metadata": {"name": "db", "namespace": "ns"},
        "spec": {
            "replicas": replicas,
            "serviceName": "db-headless",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }


def names(kube: apiservers.Kube) -> list[str]:
    return [
        p["metadata"]["name"]
        for p in kube.objects(kinds.PODS)
        if not p["metadata"].get("deletionTimestamp")
    ]


@pytest.fixture
async def kube(platform: Any) -> apiservers.Kube:
    kube, _ = await platform(builtin.setup_scheduler, builtin.setup_statefulsets)
    return kube  # type: ignore[no-any-return]


async def step(kube: apiservers.Kube, want: list[str]) -> None:
    await eventually(lambda: names(kube) == want)
    await eventually(lambda: all(p["spec"].get("nodeName") for p in kube.objects(kinds.PODS)))
    await run_pods(kube)


async def test_ordered_creation_one_at_a_time_with_claims(kube: apiservers.Kube) -> None:
    await kube.create(kinds.STATEFULSETS, sts())
    await eventually(lambda: names(kube) == ["db-0"])
    pod = kube.objects(kinds.PODS)[0]
    assert pod["spec"]["hostname"] == "db-0"
    assert pod["spec"]["subdomain"] == "db-headless"
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-0"
    assert pod["spec"]["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}
    ]
    await run_pods(kube)  # not bound yet: db-1 must still wait
    assert names(kube) == ["db-0"]
    await step(kube, ["db-0"])
    await step(kube, ["db-0", "db-1"])
    await step(kube, ["db-0", "db-1", "db-2"])
    st = kube.objects(kinds.STATEFULSETS)[0]
    await eventually(
        lambda: (kube.objects(kinds.STATEFULSETS)[0].get("status") or {}).get("readyReplicas") == 3
    )
    st = kube.objects(kinds.STATEFULSETS)[0]["status"]
    assert (st["replicas"], st["currentReplicas"], st["updatedReplicas"]) == (3, 3, 3)
    assert st["observedGeneration"] == 1
    claims = [c["metadata"]["name"] for c in kube.objects(kinds.PERSISTENTVOLUMECLAIMS)]
    assert claims == ["data-db-0", "data-db-1", "data-db-2"]


async def test_scale_down_highest_first_keeps_claims(kube: apiservers.Kube) -> None:
    await kube.create(kinds.STATEFULSETS, sts())
    await step(kube, ["db-0"])
    await step(kube, ["db-0", "db-1"])
    await step(kube, ["db-0", "db-1", "db-2"])
    await kube.patch(kinds.STATEFULSETS, "db", {"spec": {"replicas": 1}}, namespace="ns")
    async with kubelet(kube, start=False):  # graceful deletion ends at the node agent
        await eventually(lambda: names(kube) == ["db-0"] and len(kube.objects(kinds.PODS)) == 1)
    assert len(kube.objects(kinds.PERSISTENTVOLUMECLAIMS)) == 3


async def test_rolling_update_from_the_top(kube: apiservers.Kube) -> None:
    await kube.create(kinds.STATEFULSETS, sts(2))
    await step(kube, ["db-0"])
    await step(kube, ["db-0", "db-1"])
    await kube.patch(
        kinds.STATEFULSETS,
        "db",
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "v2"}]}}}},
        namespace="ns",
    )

    def images() -> dict[str, str]:
        return {
            p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
            for p in kube.objects(kinds.PODS)
        }

    async with kubelet(kube, start=False):  # graceful deletion ends at the node agent
        await eventually(lambda: images().get("db-1") == "v2")
        assert images()["db-0"] == "v1"
        await step(kube, ["db-0", "db-1"])
        await eventually(lambda: images() == {"db-0": "v2", "db-1": "v2"})
        await step(kube, ["db-0", "db-1"])
    await eventually(
        lambda: (kube.objects(kinds.STATEFULSETS)[0]["status"].get("currentReplicas")) == 2
    )
    st = kube.objects(kinds.STATEFULSETS)[0]["status"]
    assert st["currentRevision"] == st["updateRevision"]
