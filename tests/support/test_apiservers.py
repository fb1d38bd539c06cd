"""The test fixture is the real API server: its semantics where the old fake differed, and
the fault controls tests use on top of it."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.kits.kube import errors
from pinnace.kits.kube.objects import Object


def pod(name: str, *containers: str, **spec: object) -> Object:
    return {
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": [{"name": c, "image": "x"} for c in containers or ("c",)], **spec},
    }


def seconds_between(a: str, b: str) -> float:
    parse = datetime.fromisoformat
    return (parse(b.replace("Z", "+00:00")) - parse(a.replace("Z", "+00:00"))).total_seconds()


async def test_a_create_in_a_missing_namespace_is_404(kube: apiservers.Kube) -> None:
    with pytest.raises(errors.NotFound, match="nowhere"):
        await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "nowhere"}})
    assert kube.objects(kinds.CONFIGMAPS, "nowhere") == []


async def test_a_bound_pod_ends_gracefully_and_keeps_its_status_writes(
    kube: apiservers.Kube,
) -> None:
    await kube.create(kinds.PODS, pod("p", nodeName="node-1", terminationGracePeriodSeconds=7))
    deleting = await kube.delete(kinds.PODS, "p", namespace="ns")
    meta = deleting["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 7
    # kube-apiserver sets deletionTimestamp to now + the grace period
    assert seconds_between(meta["creationTimestamp"], meta["deletionTimestamp"]) >= 6
    await kube.patch(
        kinds.PODS, "p", {"status": {"phase": "Running"}}, namespace="ns", subresource="status"
    )
    [kept] = kube.objects(kinds.PODS, "ns")
    assert kept["status"]["phase"] == "Running" and kept["metadata"]["deletionTimestamp"]
    await kube.delete(kinds.PODS, "p", namespace="ns", grace_period_seconds=0)
    assert kube.objects(kinds.PODS, "ns") == []


async def test_strategic_patch_merges_containers_by_name(kube: apiservers.Kube) -> None:
    await kube.create(kinds.PODS, pod("p", "a", "b"))
    patched = await kube.patch(
        kinds.PODS,
        "p",
        {"spec": {"containers": [{"name": "b", "image": "y"}]}},
        namespace="ns",
        patch_type="strategic",
    )
    images = {c["name"]: c["image"] for c in patched["spec"]["containers"]}
    assert images == {"a": "x", "b": "y"}


async def test_fail_next_fails_one_call_of_that_verb(kube: apiservers.Kube) -> None:
    kube.fail_next("create", errors.TransportError("reset"))
    with pytest.raises(errors.TransportError):
        await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
    assert kube.objects(kinds.CONFIGMAPS, "ns") == []
    await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
    assert [c["metadata"]["name"] for c in kube.objects(kinds.CONFIGMAPS, "ns")] == ["c"]


async def test_end_watches_ends_open_streams_and_new_ones_stream(kube: apiservers.Kube) -> None:
    await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
    seen: list[str] = []
    first = asyncio.Event()

    async def follow() -> None:
        async for event in kube.watch(kinds.CONFIGMAPS, namespace="ns"):
            seen.append(event.object["metadata"]["name"])
            first.set()

    stream = asyncio.ensure_future(follow())
    await asyncio.wait_for(first.wait(), 3)
    kube.end_watches()
    await asyncio.wait_for(stream, 3)  # ended, without an error
    assert seen == ["a"]
    rv = str(kube.resource_version)
    await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "b", "namespace": "ns"}})
    resumed = kube.watch(kinds.CONFIGMAPS, namespace="ns", resource_version=rv)
    event = await asyncio.wait_for(anext(aiter(resumed)), 3)
    assert (event.type, event.object["metadata"]["name"]) == ("ADDED", "b")
    await resumed.aclose()  # type: ignore[attr-defined]


async def test_expire_history_makes_old_versions_gone(kube: apiservers.Kube) -> None:
    made = await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "a", "namespace": "ns"}})
    await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "b", "namespace": "ns"}})
    kube.expire_history()
    stream = kube.watch(kinds.CONFIGMAPS, resource_version=made["metadata"]["resourceVersion"])
    with pytest.raises(errors.Gone):
        await asyncio.wait_for(anext(aiter(stream)), 3)
