"""The garbage collector: background, foreground and orphan propagation over ownerReferences."""

from __future__ import annotations

from typing import Any

from helpers import eventually
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import builtin, manager
from pinnace.kits.kube import objects


async def family(kube: apiservers.Kube) -> dict[str, Any]:
    owner = await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "owner", "namespace": "ns"}})
    for name, block in (("child-a", True), ("child-b", False)):
        ref = objects.owner_reference(owner, block=block)
        await kube.create(
            kinds.CONFIGMAPS,
            {"metadata": {"name": name, "namespace": "ns", "ownerReferences": [ref]}},
        )
    return owner


def names(kube: apiservers.Kube) -> list[str]:
    return [c["metadata"]["name"] for c in kube.objects(kinds.CONFIGMAPS)]


async def test_background_deletes_dependents_of_a_gone_owner(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_garbage_collector)
    await family(kube)
    await kube.delete(kinds.CONFIGMAPS, "owner", namespace="ns")
    await eventually(lambda: names(kube) == [])


async def test_dangling_reference_at_start_is_collected(platform: Any) -> None:
    kube, _ = await platform()
    ghost = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "ghost",
        "uid": "nope",
        "controller": True,
    }
    await kube.create(
        kinds.CONFIGMAPS, {"metadata": {"name": "x", "namespace": "ns", "ownerReferences": [ghost]}}
    )
    mgr = manager.Manager(kube)
    builtin.setup_garbage_collector(mgr)
    await mgr.start()
    await eventually(lambda: names(kube) == [])
    await mgr.stop()


async def test_foreground_waits_for_blocking_dependents(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_garbage_collector)
    await family(kube)
    held = await kube.get(kinds.CONFIGMAPS, "child-a", namespace="ns")
    held["metadata"]["finalizers"] = ["test/hold"]
    await kube.replace(kinds.CONFIGMAPS, held)
    await kube.delete(kinds.CONFIGMAPS, "owner", namespace="ns", propagation_policy="Foreground")
    await eventually(lambda: names(kube) == ["child-a", "owner"])
    owner = kube.objects(kinds.CONFIGMAPS)[1]
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    await kube.patch(
        kinds.CONFIGMAPS, "child-a", {"metadata": {"finalizers": None}}, namespace="ns"
    )
    await eventually(lambda: names(kube) == [])


async def test_orphan_strips_references_and_keeps_dependents(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_garbage_collector)
    await family(kube)
    await kube.delete(kinds.CONFIGMAPS, "owner", namespace="ns", propagation_policy="Orphan")
    await eventually(lambda: names(kube) == ["child-a", "child-b"])
    for c in kube.objects(kinds.CONFIGMAPS):
        assert "ownerReferences" not in c["metadata"]
