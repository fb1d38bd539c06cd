"""Small pure readings of Pod state shared by the built-in controllers.

`deployments`, `statefulsets`, `endpoints` and `scheduling` all ask the same
questions of a pod — is it active, ready, available for minReadySeconds — and
rank pods for deletion the way kube's `controller.ActivePods` does.
"""

from __future__ import annotations

import datetime as dt

from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


def phase(pod: Object) -> str:
    return str((pod.get("status") or {}).get("phase") or "Pending")


def is_active(pod: Object) -> bool:
    """Not terminating and not finished (kube's `IsPodActive`)."""
    return not objects.is_deleting(pod) and phase(pod) not in ("Succeeded", "Failed")


def ready_condition(pod: Object) -> Object | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return dict(cond)
    return None


def is_ready(pod: Object) -> bool:
    cond = ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def ready_since(pod: Object) -> dt.datetime | None:
    cond = ready_condition(pod)
    if cond is None or cond.get("status") != "True":
        return None
    stamp = cond.get("lastTransitionTime")
    return clocks.parse_rfc3339(stamp) if stamp else None


def available_in(pod: Object, min_ready_seconds: int, now: dt.datetime) -> float | None:
    """Seconds until the pod counts as available: 0 if it is, None if it is not ready at all."""
    if not is_ready(pod):
        return None
    if min_ready_seconds <= 0:
        return 0.0
    since = ready_since(pod)
    if since is None:
        return 0.0
    return max(0.0, min_ready_seconds - (now - since).total_seconds())


def is_available(pod: Object, min_ready_seconds: int, now: dt.datetime) -> bool:
    return available_in(pod, min_ready_seconds, now) == 0.0


def restarts(pod: Object) -> int:
    return sum(
        int(s.get("restartCount") or 0)
        for s in (pod.get("status") or {}).get("containerStatuses") or []
    )


_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_rank(pod: Object) -> tuple[int, int, int, int, float]:
    """Sort key: pods to delete first sort first (unscheduled, pending, not ready, newest...)."""
    scheduled = 1 if (pod.get("spec") or {}).get("nodeName") else 0
    created = objects.meta(pod).get("creationTimestamp")
    age_key = -clocks.parse_rfc3339(created).timestamp() if created else 0.0
    return (
        scheduled,
        _PHASE_RANK.get(phase(pod), 3),
        1 if is_ready(pod) else 0,
        -restarts(pod),
        age_key,
    )
