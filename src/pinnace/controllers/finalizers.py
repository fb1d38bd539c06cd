"""Finalizers: guard the external cleanup a controller owes before an object may go.

A controller that keeps something outside the API (a process, files, an
external record) `add`s its finalizer before creating it; when the object is
being deleted it cleans up and `remove`s the finalizer, and the API server
finishes the delete. Both are idempotent — a no-op, with no write, when the
finalizer is already there / already gone — and write with the read
`resourceVersion`, so a stale read answers 409 and the runner retries.
"""

from __future__ import annotations

from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType


def has(obj: Object, finalizer: str) -> bool:
    return finalizer in (objects.meta(obj).get("finalizers") or [])


async def add(client: clients.KubeApi, rt: ResourceType, obj: Object, finalizer: str) -> Object:
    """`obj` with `finalizer` in `metadata.finalizers` (written only if it was missing)."""
    if has(obj, finalizer):
        return obj
    return await _set(client, rt, obj, [*(objects.meta(obj).get("finalizers") or []), finalizer])


async def remove(client: clients.KubeApi, rt: ResourceType, obj: Object, finalizer: str) -> Object:
    """`obj` without `finalizer` (written only if it was there; gone meanwhile is fine)."""
    if not has(obj, finalizer):
        return obj
    keep = [f for f in objects.meta(obj).get("finalizers") or [] if f != finalizer]
    try:
        return await _set(client, rt, obj, keep)
    except errors.NotFound:
        return obj


async def _set(client: clients.KubeApi, rt: ResourceType, obj: Object, fins: list[str]) -> Object:
    patch = {
        "metadata": {
            "finalizers": fins or None,
            "resourceVersion": objects.resource_version_of(obj),
        }
    }
    return await client.patch(
        rt, objects.name_of(obj), patch, namespace=objects.namespace_of(obj) or None
    )
