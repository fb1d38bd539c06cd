"""Status writing: only when it changed, through the status subresource, generation observed.

A reconciler computes the whole status it owns from what it read and hands it
to `write`; `write` stamps `observedGeneration` with the generation it acted
on, compares with the status it read and, only if they differ, PUTs
`<kind>/<name>/status` carrying the read `resourceVersion` (a concurrent
change answers 409 and the runner retries from fresh caches). So a reconcile
that changes nothing writes nothing, and the watch event of its own write does
not wake it into a loop. `condition` sets one `metav1.Condition` on a status
(with `conditions.set_condition`'s transition rules and the condition's own
`observedGeneration`); the runner uses it to record a `TerminalError`.
"""

from __future__ import annotations

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


async def write(client: clients.KubeApi, rt: ResourceType, obj: Object, status: Object) -> Object:
    """Write `status` for `obj` unless it is what `obj` already has; the object as it stands.

    `observedGeneration` is set to the generation of `obj`. A vanished object is
    not an error (there is nothing left to describe): `obj` comes back unchanged.
    """
    status = {**status, "observedGeneration": generation_of(obj)}
    if status == obj.get("status"):
        return obj
    try:
        return await client.replace(rt, {**obj, "status": status}, subresource="status")
    except errors.NotFound:
        return obj
