"""Namespaces get a default ServiceAccount; deleting one empties it, then finalizes it."""

from __future__ import annotations

from typing import Any

from helpers import eventually

from pinnace.api import kinds
from pinnace.controllers import builtin


async def test_default_service_account_and_recreation(platform: Any) -> None:
    fake, _ = await platform(builtin.setup_namespaces)
    await fake.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    await eventually(lambda: len(fake.objects(kinds.SERVICEACCOUNTS, "team")) == 1)
    assert fake.objects(kinds.SERVICEACCOUNTS, "team")[0]["metadata"]["name"] == "default"
    await fake.delete(kinds.SERVICEACCOUNTS, "default", namespace="team")
    await eventually(lambda: len(fake.objects(kinds.SERVICEACCOUNTS, "team")) == 1)


async def test_deleting_a_namespace_removes_its_contents_then_itself(platform: Any) -> None:
    fake, _ = await platform(builtin.setup_namespaces)
    await fake.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    await fake.create(kinds.NAMESPACES, {"metadata": {"name": "keep"}})
    await fake.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "team"}})
    await fake.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "keep"}})
    held = {"metadata": {"name": "held", "namespace": "team", "finalizers": ["x/y"]}}
    await fake.create(kinds.CONFIGMAPS, held)
    await fake.delete(kinds.NAMESPACES, "team")
    await eventually(
        lambda: [c["metadata"]["name"] for c in fake.objects(kinds.CONFIGMAPS, "team")] == ["held"]
    )
    assert [n["metadata"]["name"] for n in fake.objects(kinds.NAMESPACES)] == ["keep", "team"]
    await fake.patch(kinds.CONFIGMAPS, "held", {"metadata": {"finalizers": None}}, namespace="team")
    await eventually(
        lambda: [n["metadata"]["name"] for n in fake.objects(kinds.NAMESPACES)] == ["keep"],
        timeout=5,
    )
    assert fake.objects(kinds.CONFIGMAPS, "team") == []
    assert fake.objects(kinds.SERVICEACCOUNTS, "team") == []
    assert len(fake.objects(kinds.CONFIGMAPS, "keep")) == 1
