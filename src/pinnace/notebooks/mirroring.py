"""A Notebook's status, mirrored from its StatefulSet and pod (upstream's `createNotebookStatus`).

`status(notebook, sts, pod, now=...)` is pure and called by `reconciling` on
every pass; `controllers.statuses.write` then writes it only if it changed.
As upstream: `readyReplicas` from the StatefulSet, `containerState` from the
server container's status (the container named like the Notebook, else the
first), and `conditions` copied from the pod's conditions (type, status,
reason, message, lastProbeTime, lastTransitionTime). pinnace adds one thing
upstream leaves to the annotation: a stopped Notebook has the single
condition `Ready=False` with reason `Stopping` (its pod is still going) or
`Stopped`, so `kubectl get notebooks` and the status say so.
"""

from __future__ import annotations

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.notebooks import children

_COPIED = ("type", "status", "reason", "message", "lastProbeTime", "lastTransitionTime")


def _server_name(notebook: Object) -> str:
    containers = ((notebook.get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers"
    ) or [{}]
    return str(containers[0].get("name") or "")


def container_state(notebook: Object, pod: Object) -> Object | None:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    by_name = {str(s.get("name")): s for s in statuses}
    found = by_name.get(objects.name_of(notebook)) or by_name.get(_server_name(notebook))
    if found is None:
        return None
    state: Object = objects.clone(found.get("state") or {})
    return state


def pod_conditions(pod: Object) -> list[Object]:
    return [
        {k: c[k] for k in _COPIED if c.get(k) is not None}
        for c in (pod.get("status") or {}).get("conditions") or []
        if isinstance(c, dict)
    ]


def _stopped_condition(notebook: Object, pod: Object | None, now: str) -> Object:
    annotations = objects.meta(notebook).get("annotations") or {}
    since = annotations.get(children.STOPPED_ANNOTATION)
    activity = annotations.get(children.LAST_ACTIVITY_ANNOTATION)
    last = f"; last activity {activity}" if activity else ""
    reason = "Stopping" if pod is not None else "Stopped"
    previous = next(
        (
            c
            for c in (notebook.get("status") or {}).get("conditions") or []
            if c.get("type") == "Ready"
        ),
        None,
    )
    unchanged = previous is not None and previous.get("status") == "False"
    return {
        "type": "Ready",
        "status": "False",
        "reason": reason,
        "message": (
            f"the notebook is {reason.lower()} ({children.STOPPED_ANNOTATION}: {since}{last})"
        ),
        "lastTransitionTime": (previous or {}).get("lastTransitionTime") if unchanged else now,
    }


def status(notebook: Object, sts: Object | None, pod: Object | None, *, now: str) -> Object:
    """The whole status the controller owns (`observedGeneration` is added by the writer)."""
    ready = int(((sts or {}).get("status") or {}).get("readyReplicas") or 0)
    out: Object = {"readyReplicas": ready, "containerState": {}, "conditions": []}
    if pod is not None:
        state = container_state(notebook, pod)
        if state is not None:
            out["containerState"] = state
        out["conditions"] = pod_conditions(pod)
    if children.is_stopped(notebook):
        out["conditions"] = [_stopped_condition(notebook, pod, now)]
    return out
