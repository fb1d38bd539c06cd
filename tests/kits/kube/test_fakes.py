"""FakeKube keeps the API server's semantics that controllers and agents rely on."""

from __future__ import annotations

import pytest

from pinnace.api import kinds
from pinnace.kits.kube import errors, fakes
from pinnace.kits.kube.objects import Object


def obj(name: str, ns: str = "ns", **extra: object) -> Object:
    return {"metadata": {"name": name, "namespace": ns}, **extra}


@pytest.fixture
def fake() -> fakes.FakeKube:
    return fakes.FakeKube()


async def test_create_fills_metadata_and_rejects_duplicates(fake: fakes.FakeKube) -> None:
    made = await fake.create(kinds.DEPLOYMENTS, obj("d", spec={"replicas": 1}, status={"x": 1}))
    meta = made["metadata"]
    assert (made["apiVersion"], made["kind"], meta["generation"]) == ("apps/v1", "Deployment", 1)
    assert meta["uid"]
    assert meta["resourceVersion"]
    assert meta["creationTimestamp"]
    assert "status" not in made
    with pytest.raises(errors.AlreadyExists, match=r'deployments\.apps "d" already exists'):
        await fake.create(kinds.DEPLOYMENTS, obj("d"))
    gen = await fake.create(kinds.PODS, {"metadata": {"generateName": "web-", "namespace": "ns"}})
    assert gen["metadata"]["name"].startswith("web-")
    assert len(gen["metadata"]["name"]) == 9


async def test_generation_status_and_noop(fake: fakes.FakeKube) -> None:
    d = await fake.create(kinds.DEPLOYMENTS, obj("d", spec={"replicas": 1}))
    s = await fake.patch(
        kinds.DEPLOYMENTS, "d", {"status": {"replicas": 1}}, namespace="ns", subresource="status"
    )
    assert s["status"] == {"replicas": 1}
    assert s["metadata"]["generation"] == 1
    ignored = await fake.patch(kinds.DEPLOYMENTS, "d", {"status": {"replicas": 9}}, namespace="ns")
    assert ignored["status"] == {"replicas": 1}
    assert ignored["metadata"]["resourceVersion"] == s["metadata"]["resourceVersion"]
    up = await fake.patch(kinds.DEPLOYMENTS, "d", {"spec": {"replicas": 3}}, namespace="ns")
    assert up["metadata"]["generation"] == 2
    stale = {**d, "spec": {"replicas": 5}}
    with pytest.raises(errors.Conflict, match="the object has been modified"):
        await fake.replace(kinds.DEPLOYMENTS, stale)


async def test_json_patch_test_failure_is_invalid(fake: fakes.FakeKube) -> None:
    await fake.create(kinds.CONFIGMAPS, obj("c", data={"a": "1"}))
    with pytest.raises(errors.Invalid):
        await fake.patch(
            kinds.CONFIGMAPS,
            "c",
            [{"op": "test", "path": "/data/a", "value": "2"}],
            namespace="ns",
            patch_type="json",
        )
    done = await fake.patch(
        kinds.CONFIGMAPS,
        "c",
        [{"op": "replace", "path": "/data/a", "value": "2"}],
        namespace="ns",
        patch_type="json",
    )
    assert done["data"] == {"a": "2"}


async def test_finalizers_and_propagation(fake: fakes.FakeKube) -> None:
    await fake.create(kinds.CONFIGMAPS, obj("c"))
    fg = await fake.delete(kinds.CONFIGMAPS, "c", namespace="ns", propagation_policy="Foreground")
    assert fg["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert fg["metadata"]["deletionTimestamp"]
    await fake.patch(kinds.CONFIGMAPS, "c", {"metadata": {"finalizers": None}}, namespace="ns")
    assert fake.objects(kinds.CONFIGMAPS) == []
    await fake.create(kinds.CONFIGMAPS, obj("o"))
    orphan = await fake.delete(kinds.CONFIGMAPS, "o", namespace="ns", propagation_policy="Orphan")
    assert orphan["metadata"]["finalizers"] == ["orphan"]


async def test_graceful_pod_deletion_and_binding(fake: fakes.FakeKube) -> None:
    await fake.create(kinds.PODS, obj("p", spec={"containers": []}))
    answer = await fake.post(
        kinds.PODS, "p", "binding", {"target": {"kind": "Node", "name": "n1"}}, namespace="ns"
    )
    assert answer["status"] == "Success"
    bound = await fake.get(kinds.PODS, "p", namespace="ns")
    assert bound["spec"]["nodeName"] == "n1"
    with pytest.raises(errors.Conflict):
        await fake.post(kinds.PODS, "p", "binding", {"target": {"name": "n2"}}, namespace="ns")
    gone = await fake.delete(kinds.PODS, "p", namespace="ns")
    assert gone["metadata"]["deletionGracePeriodSeconds"] == 30
    await fake.delete(kinds.PODS, "p", namespace="ns", grace_period_seconds=0)
    assert fake.objects(kinds.PODS) == []


async def test_namespace_termination_and_finalize(fake: fakes.FakeKube) -> None:
    ns = await fake.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert ns["status"]["phase"] == "Active"
    terminating = await fake.delete(kinds.NAMESPACES, "team")
    assert terminating["status"]["phase"] == "Terminating"
    with pytest.raises(errors.Forbidden, match="being terminated"):
        await fake.create(kinds.CONFIGMAPS, obj("c", ns="team"))
    current = await fake.get(kinds.NAMESPACES, "team")
    current["spec"]["finalizers"] = []
    await fake.replace(kinds.NAMESPACES, current, subresource="finalize")
    assert fake.objects(kinds.NAMESPACES) == []


async def test_watch_replay_and_gone(fake: fakes.FakeKube) -> None:
    a = await fake.create(kinds.CONFIGMAPS, obj("a"))
    await fake.create(kinds.CONFIGMAPS, obj("b"))
    await fake.delete(kinds.CONFIGMAPS, "a", namespace="ns")
    fake.end_watches()
    rv = a["metadata"]["resourceVersion"]
    stream = fake.watch(kinds.CONFIGMAPS, resource_version=rv, timeout_seconds=1)
    events = []
    async for e in stream:
        events.append((e.type, e.object["metadata"]["name"]))
        if len(events) == 2:
            break
    assert events == [("ADDED", "b"), ("DELETED", "a")]
    fake.expire_history()
    with pytest.raises(errors.Gone):
        async for _ in fake.watch(kinds.CONFIGMAPS, resource_version=rv):
            pass


async def test_list_selectors_and_discovery(fake: fakes.FakeKube) -> None:
    await fake.create(
        kinds.PODS, {"metadata": {"name": "a", "namespace": "x", "labels": {"app": "web"}}}
    )
    await fake.create(kinds.PODS, {"metadata": {"name": "b", "namespace": "y"}})
    got = await fake.list(kinds.PODS, label_selector="app=web")
    assert [o["metadata"]["name"] for o in got.items] == ["a"]
    got = await fake.list(kinds.PODS, field_selector="metadata.namespace=y,status.phase=Pending")
    assert [o["metadata"]["name"] for o in got.items] == ["b"]
    found = {r.type.plural: r for r in await fake.server_resources()}
    assert "list" in found["pods"].verbs
    assert found["pods"].subresources == {"status"}
