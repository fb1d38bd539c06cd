"""Status writing: only when it changed, through the status subresource, generation observed.

A reconciler computes the whole status it owns from what it read and hands it
to `write`; `write` stamps `observedGeneration` with the generation it acted
on, compares with the status it read and, only if they differ, PUTs
`<kind>/<name>/status` carrying the read `resourceVersion` (a concurrent
change answers 409 and the runner retries from fresh caches). So a reconcile
that changes nothing writes nothing, and the watch event of its own write does
not wake it into a loop; a status the server keeps only in part (a CRD
schema pruning `observedGeneration`) is not sent again either. `condition` sets one `metav1.Condition` on a status
(with `conditions.set_condition`'s transition rules and the condition's own
`observedGeneration`); the runner uses it to record a `TerminalError`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from pinnace.controllers import conditions
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, objects
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType


def generation_of(obj: Object) -> int:
    return int(objects.meta(obj).get("generation") or 1)


def condition(
    obj: Object,
    status: Object,
    type_: str,
    value: conditions.Status | str,
    *,
    reason: str,
    message: str,
    clock: clocks.Clock = clocks.SYSTEM,
) -> Object:
    """`status` with condition `type_` set for `obj`'s current generation (a new dict).

    The other conditions, and this one's `lastTransitionTime` when its status did
    not flip, come from `status["conditions"]` if given, else from `obj`'s status.
    """
    current = (
        status["conditions"]
        if "conditions" in status
        else (obj.get("status") or {}).get("conditions")
    )
    return {
        **status,
        "conditions": conditions.set_condition(
            current,
            type_,
            str(value),
            reason=reason,
            message=message,
            now=clocks.rfc3339(clock.now()),
            observed_generation=generation_of(obj),
        ),
    }


class _Written:
    """The last status written per object and what the server stored of it.

    A CRD's structural schema prunes status fields it does not declare (many
    upstream CRDs have no `status.observedGeneration`, some drop a condition's
    `reason`): the stored status then never equals the computed one, and a
    plain comparison would PUT on every pass (a no-op for the server, but a
    round trip per reconcile). Remembering (sent, stored) recognises the steady
    state.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._last: OrderedDict[tuple[str, str], tuple[Object, Any]] = OrderedDict()

    def same(self, key: tuple[str, str], status: Object, current: Any) -> bool:
        last = self._last.get(key)
        return last is not None and last[0] == status and last[1] == current

    def remember(self, key: tuple[str, str], status: Object, stored: Any) -> None:
        self._last[key] = (status, stored)
        self._last.move_to_end(key)
        while len(self._last) > self._limit:
            self._last.popitem(last=False)


_written = _Written()


async def write(client: clients.KubeApi, rt: ResourceType, obj: Object, status: Object) -> Object:
    """Write `status` for `obj` unless it is what `obj` already has; the object as it stands.

    `observedGeneration` is set to the generation of `obj`. A status the server
    stored only in part (pruned by the CRD's schema) counts as unchanged when it
    is still what the server kept of the same status last time. A vanished
    object is not an error (there is nothing left to describe): `obj` comes back.
    """
    status = {**status, "observedGeneration": generation_of(obj)}
    current = obj.get("status")
    if status == current:
        return obj
    key = (rt.group_resource, objects.uid_of(obj))
    if _written.same(key, status, current):
        return obj
    try:
        updated = await client.replace(rt, {**obj, "status": status}, subresource="status")
    except errors.NotFound:
        return obj
    _written.remember(key, status, updated.get("status"))
    return updated
