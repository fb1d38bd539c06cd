"""Finalizer helpers: idempotent add/remove with optimistic concurrency, on the real API server."""

from __future__ import annotations

import pytest

from pinnace.api import kinds
from pinnace.controllers import finalizers
from pinnace.kits.kube import clients, errors, objects

F = "example.pinnace.dev/cleanup"


async def test_add_and_remove_write_once(kube: clients.KubeApi) -> None:
    cm = await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
    added = await finalizers.add(kube, kinds.CONFIGMAPS, cm, F)
    assert finalizers.has(added, F)
    again = await finalizers.add(kube, kinds.CONFIGMAPS, added, F)
    assert objects.resource_version_of(again) == objects.resource_version_of(added)
    await kube.delete(kinds.CONFIGMAPS, "c", namespace="ns")
    deleting = await kube.get(kinds.CONFIGMAPS, "c", namespace="ns")
    assert objects.is_deleting(deleting)
    await finalizers.remove(kube, kinds.CONFIGMAPS, deleting, F)
    with pytest.raises(errors.NotFound):
        await kube.get(kinds.CONFIGMAPS, "c", namespace="ns")
    # removing again (the object is gone) is not an error
    await finalizers.remove(kube, kinds.CONFIGMAPS, deleting, F)


async def test_a_stale_read_conflicts(kube: clients.KubeApi) -> None:
    cm = await kube.create(kinds.CONFIGMAPS, {"metadata": {"name": "c", "namespace": "ns"}})
    await kube.patch(kinds.CONFIGMAPS, "c", {"data": {"x": "1"}}, namespace="ns")
    with pytest.raises(errors.Conflict):
        await finalizers.add(kube, kinds.CONFIGMAPS, cm, F)
