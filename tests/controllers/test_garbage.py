"""The garbage collector: background, foreground and orphan propagation over ownerReferences."""

from __future__ import annotations

from typing import Any

from helpers import eventually

from pinnace.api import kinds
from pinnace.controllers import builtin, manager
from pinnace.kits.kube import fakes, objects


async def family(fake: fakes.FakeKube) -> dict[str, Any]:
    owner = await fake.create(kinds.CONFIGMAPS, {"metadata": {"name": "owner", "namespace": "ns"}})
    for name, block in (("child-a", True), ("child-b", False)):
        ref = objects.owner_reference(owner, block=block)
        await fake.create(
            kinds.CONFIGMAPS,
            {"metadata": {"name": name, "namespace": "ns", "ownerReferences": [ref]}},
        )
    return owner


def names(fake: fakes.FakeKube) -> list[str]:
    return [c["metadata"]["name"] for c in fake.objects(kinds.CONFIGMAPS)]


async def test_background_deletes_dependents_of_a_gone_owner(platform: Any) -> None:
    fake, _ = await platform(builtin.setup_garbage_collector)
    await family(fake)
    await fake.delete(kinds.CONFIGMAPS, "owner", namespace="ns")
    await eventually(lambda: names(fake) == [])


async def test_dangling_reference_at_start_is_collected(platform: Any) -> None:
    fake, _ = await platform()
    ghost = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "ghost",
        "uid": "nope",
        "controller": True,
    }
    await fake.create(
        kinds.CONFIGMAPS, {"metadata": {"name": "x", "namespace": "ns", "ownerReferences": [ghost]}}
    )
    mgr = manager.Manager(fake)
    builtin.setup_garbage_collector(mgr)
    await mgr.start()
    await eventually(lambda: names(fake) == [])
    await mgr.stop()


async def test_foreground_waits_for_blocking_dependents(platform: Any) -> None:
    fake, _ = await platform(builtin.setup_garbage_collector)
    await family(fake)
    held = await fake.get(kinds.CONFIGMAPS, "child-a", namespace="ns")
    held["metadata"]["finalizers"] = ["test/hold"]
    await fake.replace(kinds.CONFIGMAPS, held)
    await fake.delete(kinds.CONFIGMAPS, "owner", namespace="ns", propagation_policy="Foreground")
    await eventually(lambda: names(fake) == ["child-a", "owner"])
    owner = fake.objects(kinds.CONFIGMAPS)[1]
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    await fake.patch(
        kinds.CONFIGMAPS, "child-a", {"metadata": {"finalizers": None}}, namespace="ns"
    )
    await eventually(lambda: names(fake) == [])


async def test_orphan_strips_references_and_keeps_dependents(platform: Any) -> None:
    fake, _ = await platform(builtin.setup_garbage_collector)
    await family(fake)
    await fake.delete(kinds.CONFIGMAPS, "owner", namespace="ns", propagation_policy="Orphan")
    await eventually(lambda: names(fake) == ["child-a", "child-b"])
    for c in fake.objects(kinds.CONFIGMAPS):
        assert "ownerReferences" not in c["metadata"]
