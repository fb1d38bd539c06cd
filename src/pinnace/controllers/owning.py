"""Create-or-update of owned children (controller-runtime's `CreateOrUpdate` / `CreateOrPatch`).

A reconciler computes the children it wants and calls `ensure(client, rt,
owner, desired)` for each: the child is created with a controller
ownerReference to `owner`, or, if it exists and is ours, patched with only
the fields `desired` sets that differ. Comparison is by containment — every
field `desired` sets must be present and equal; fields the server or another
writer filled in (defaults such as `protocol: TCP`, `clusterIP`, extra labels)
do not count — so a steady state writes nothing. `mutate(client, rt, owner,
key, fn)` is the other form: `fn` edits a copy of the current child (or of
an empty one) in place, and the difference is sent as a merge patch, so a
controller can also drop fields. Both answer `Applied(outcome, object)`
with outcome Created / Updated / Unchanged.

A child of that name controlled by another owner (or by none, unless
`adopt=True`) is not overwritten: `AlreadyOwned`, a `reconciling.TerminalError`,
is raised; the runner writes it to the owner's status and an Event and does
not retry until the owner or the child changes. Writes carry the
resourceVersion they were computed from; a 409 goes back to the runner, which
retries on fresh caches.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pinnace.controllers import reconciling
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.kits.kube.resources import ResourceType

Mutate = Callable[[Object], None]


class Outcome(enum.StrEnum):
    CREATED = "Created"
    UPDATED = "Updated"
    UNCHANGED = "Unchanged"


@dataclass(frozen=True, slots=True)
class Applied:
    outcome: Outcome
    object: Object


class AlreadyOwned(reconciling.TerminalError):
    """The child's name is taken by an object this owner does not control."""

    def __init__(self, rt: ResourceType, child: Object, owner: Object) -> None:
        holder = next(
            (r for r in objects.meta(child).get("ownerReferences") or [] if r.get("controller")),
            None,
        )
        by = f"{holder.get('kind')} {holder.get('name')}" if holder else "no controller"
        super().__init__(
            f'{rt.kind} "{objects.name_of(child)}" already exists and is controlled by {by}, '
            f"not by {owner.get('kind')} {objects.name_of(owner)}",
            reason="AlreadyOwned",
        )


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def covers(actual: Any, wanted: Any) -> bool:
    """True when every field `wanted` sets is in `actual` with the same value.

    An empty object, list or null in `wanted` also matches a missing field: the
    API server omits empty values when it serializes (Go's `omitempty`), so they
    would otherwise look like drift forever. Scalars count even when zero-like.
    """
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            covers(actual[k], v) if k in actual else _empty(v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(covers(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def merge_diff(old: Object, new: Object) -> Object:
    """The JSON merge patch (RFC 7386) that turns `old` into `new`."""
    patch: Object = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        before = old.get(key)
        if key in old and before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict):
            patch[key] = merge_diff(before, value)
        else:
            patch[key] = value
    return patch


def _wanted_patch(current: Object, desired: Object) -> Object:
    """The part of `desired` that `current` does not already cover (a merge patch)."""
    patch: Object = {}
    for key, value in desired.items():
        have = current.get(key)
        if covers(have, value):
            continue
        if isinstance(value, dict) and isinstance(have, dict):
            patch[key] = _wanted_patch(have, value)
        else:
            patch[key] = value
    return patch


def controlled_by(child: Object, owner: Object) -> bool:
    return objects.controller_uid(child) == objects.uid_of(owner)


def _check_owner(rt: ResourceType, child: Object, owner: Object, adopt: bool) -> bool:
    """True when the child must be adopted (given our reference); raises if it is not ours."""
    if controlled_by(child, owner):
        return False
    if adopt and objects.controller_uid(child) is None and not objects.is_deleting(child):
        return True
    raise AlreadyOwned(rt, child, owner)


def _namespace_for(rt: ResourceType, owner: Object) -> str:
    namespace = objects.namespace_of(owner)
    if not namespace:
        raise ValueError(
            f"a {rt.kind} owned by cluster-scoped {owner.get('kind')} "
            f"{objects.name_of(owner)} needs metadata.namespace"
        )
    return namespace


def _skeleton(rt: ResourceType, owner: Object, key: ObjectKey) -> Object:
    meta: Object = {"name": key.name}
    if rt.namespaced:
        meta["namespace"] = key.namespace or _namespace_for(rt, owner)
    return {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": meta}


async def _current(
    client: clients.KubeApi, rt: ResourceType, key: ObjectKey, cache: informers.Informer | None
) -> Object | None:
    if cache is not None:
        return cache.get(key)
    try:
        return await client.get(rt, key.name, namespace=key.namespace or None)
    except errors.NotFound:
        return None


async def ensure(
    client: clients.KubeApi,
    rt: ResourceType,
    owner: Object,
    desired: Object,
    *,
    cache: informers.Informer | None = None,
    adopt: bool = False,
) -> Applied:
    """Create `desired` owned by `owner`, or patch the fields of it that an existing child lacks.

    `desired` is a child body without ownerReferences and status (status is the
    child controller's); its namespace defaults to the owner's. `cache` (an
    informer of `rt`) saves the GET; a stale cache ends in 409/AlreadyExists,
    which is resolved by a GET here or a retry by the runner.
    """
    body = objects.clone(desired)
    body.pop("status", None)
    body.setdefault("apiVersion", rt.api_version)
    body.setdefault("kind", rt.kind)
    meta = body.setdefault("metadata", {})
    if rt.namespaced and not meta.get("namespace"):
        meta["namespace"] = _namespace_for(rt, owner)
    key = objects.key_of(body)
    current = await _current(client, rt, key, cache)
    if current is None:
        meta["ownerReferences"] = [objects.owner_reference(owner)]
        try:
            return Applied(Outcome.CREATED, await client.create(rt, body))
        except errors.AlreadyExists:
            current = await client.get(rt, key.name, namespace=key.namespace or None)
    adopting = _check_owner(rt, current, owner, adopt)
    meta.pop("ownerReferences", None)
    patch = _wanted_patch(current, body)
    if adopting:
        refs = objects.meta(current).get("ownerReferences") or []
        patch.setdefault("metadata", {})["ownerReferences"] = [
            *refs,
            objects.owner_reference(owner),
        ]
    if not patch:
        return Applied(Outcome.UNCHANGED, current)
    patch.setdefault("metadata", {})["resourceVersion"] = objects.resource_version_of(current)
    updated = await client.patch(rt, key.name, patch, namespace=key.namespace or None)
    return Applied(Outcome.UPDATED, updated)


async def mutate(
    client: clients.KubeApi,
    rt: ResourceType,
    owner: Object,
    key: ObjectKey,
    fn: Mutate,
    *,
    cache: informers.Informer | None = None,
    adopt: bool = False,
) -> Applied:
    """CreateOrPatch: `fn` edits a copy of the current child (or a new one) in place.

    The owner reference is set before `fn` runs; whatever `fn` changes —
    including removing fields — is written as one merge patch, or nothing.
    """
    current = await _current(client, rt, key, cache)
    if current is None:
        body = _skeleton(rt, owner, key)
        body["metadata"]["ownerReferences"] = [objects.owner_reference(owner)]
        fn(body)
        try:
            return Applied(Outcome.CREATED, await client.create(rt, body))
        except errors.AlreadyExists:
            current = await client.get(rt, key.name, namespace=key.namespace or None)
    adopting = _check_owner(rt, current, owner, adopt)
    edited = objects.clone(current)
    if adopting:
        refs = edited["metadata"].setdefault("ownerReferences", [])
        refs.append(objects.owner_reference(owner))
    fn(edited)
    edited.pop("status", None)
    patch = merge_diff({k: v for k, v in current.items() if k != "status"}, edited)
    if not patch:
        return Applied(Outcome.UNCHANGED, current)
    patch.setdefault("metadata", {})["resourceVersion"] = objects.resource_version_of(current)
    updated = await client.patch(rt, key.name, patch, namespace=key.namespace or None)
    return Applied(Outcome.UPDATED, updated)
