"""Namespaces get a default ServiceAccount; deleting one empties it, then finalizes it."""

from __future__ import annotations

from typing import Any

from helpers import eventually
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import builtin


def namespaces(kube: apiservers.Kube) -> set[str]:
    return {n["metadata"]["name"] for n in kube.objects(kinds.NAMESPACES)}


async def test_default_service_account_and_recreation(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_namespaces)
    await kube.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    await eventually(lambda: len(kube.objects(kinds.SERVICEACCOUNTS, "team")) == 1)
    assert kube.objects(kinds.SERVICEACCOUNTS, "team")[0]["metadata"]["name"] == "default"
    await kube.delete(kinds.SERVICEACCOUNTS, "default", namespace="team")
    await eventually(lambda: len(kube.objects(kinds.SERVICEACCOUNTS, "team")) == 1)


async def test_deleting_a_namespace_removes_its_contents_then_itself(platform: Any) -> None:
    kube, _ = await platform(builtin.setup_namespaces)
    await kube.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    await kube.create(kinds.NAMESPACES, {"metadata": {"name": "keep"}})
    await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "team"}})
    await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "keep"}})
    held = {"metadata": {"name": "held", "namespace": "team", "finalizers": ["x/y"]}}
    await kube.create(kinds.CONFIGMAPS, held)
    await kube.delete(kinds.NAMESPACES, "team")
    await eventually(
        lambda: [c["metadata"]["name"] for c in kube.objects(kinds.CONFIGMAPS, "team")] == ["held"]
    )
    assert {"keep", "team"} <= namespaces(kube)
    await kube.patch(kinds.CONFIGMAPS, "held", {"metadata": {"finalizers": None}}, namespace="team")
    await eventually(
        lambda: "team" not in namespaces(kube),
        timeout=5,
    )
    assert kube.objects(kinds.CONFIGMAPS, "team") == []
    assert kube.objects(kinds.SERVICEACCOUNTS, "team") == []
    assert len(kube.objects(kinds.CONFIGMAPS, "keep")) == 1
