"""The pod printer: NAME READY STATUS RESTARTS AGE (+ IP NODE NOMINATED NODE READINESS GATES).

A port of kube-apiserver's `printPod` (pkg/printers/internalversion, 1.32):
STATUS is the phase, overridden by the pod's reason, an init container's state
(`Init:0/1`, `Init:CrashLoopBackOff`, `Init:ExitCode:1`), a main container's
waiting/terminated reason (`ContainerCreating`, `CrashLoopBackOff`, `Completed`,
`Error`) and finally `Terminating` while a deletion is pending. RESTARTS reads
`2 (5s ago)` once a container has restarted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pinnace.api.printers.columns import (
    AGE,
    NAME,
    Column,
    Printer,
    Row,
    dig,
    items,
    meta,
    name,
    parse_time,
    since,
)
from pinnace.kits.kube.objects import Object

COLUMNS = (
    NAME,
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column(
        "Restarts",
        description="The number of times the containers in this pod have been restarted and "
        "when the last container in this pod has restarted.",
    ),
    AGE,
    Column("IP", priority=1, description="podIP address allocated to the pod."),
    Column(
        "Node", priority=1, description="NodeName indicates in which node this pod is scheduled."
    ),
    Column(
        "Nominated Node",
        priority=1,
        description="nominatedNodeName is set only when this pod preempts other pods on the node.",
    ),
    Column(
        "Readiness Gates",
        priority=1,
        description="If specified, all readiness gates will be evaluated for pod readiness.",
    ),
)

_SUCCEEDED = [
    {
        "type": "Completed",
        "status": "True",
        "reason": "Succeeded",
        "message": "The pod has completed successfully.",
    }
]
_FAILED = [
    {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
]


def _restartable(container: Any) -> bool:
    return isinstance(container, dict) and container.get("restartPolicy") == "Always"


def _later(current: datetime | None, candidate: Any) -> datetime | None:
    when = parse_time(candidate)
    if when is None:
        return current
    return when if current is None or when > current else current


def _condition_true(status: Any, type_: str) -> bool:
    return any(
        c.get("type") == type_ and c.get("status") == "True" for c in items(status, "conditions")
    )


def _terminated_reason(term: dict[str, Any], prefix: str) -> str:
    if term.get("reason"):
        return prefix + str(term["reason"])
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def _row(pod: Object, now: datetime) -> Row:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    init_specs = {c.get("name"): c for c in items(spec, "initContainers")}
    total = len(items(spec, "containers")) + sum(1 for c in init_specs.values() if _restartable(c))
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    for cond in items(status, "conditions"):
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    init_statuses = items(status, "initContainerStatuses")
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        last_term = dig(cs, "lastState", "terminated", "finishedAt")
        last_restart = _later(last_restart, last_term)
        sidecar = _restartable(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, last_term)
        term = dig(cs, "state", "terminated")
        waiting_reason = dig(cs, "state", "waiting", "reason")
        if isinstance(term, dict) and term.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if isinstance(term, dict):
            reason = _terminated_reason(term, "Init:")
        elif waiting_reason and waiting_reason != "PodInitializing":
            reason = f"Init:{waiting_reason}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        for cs in reversed(items(status, "containerStatuses")):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = _later(last_restart, dig(cs, "lastState", "terminated", "finishedAt"))
            waiting = dig(cs, "state", "waiting")
            term = dig(cs, "state", "terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(term, dict):
                reason = _terminated_reason(term, "")
            elif cs.get("ready") and isinstance(dig(cs, "state", "running"), dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts and last_restart is not None:
        restarts_cell = f"{restarts} ({since(last_restart.isoformat(), now)} ago)"

    pod_ips = items(status, "podIPs")
    ip = (pod_ips[0].get("ip") if pod_ips else None) or status.get("podIP") or "<none>"
    gates = items(spec, "readinessGates")
    gates_cell = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in items(status, "conditions")}
        true = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gates_cell = f"{true}/{len(gates)}"
    cells: list[Any] = [
        name(pod),
        f"{ready}/{total}",
        reason,
        restarts_cell,
        since(meta(pod).get("creationTimestamp"), now),
        ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]
    conditions = _SUCCEEDED if phase == "Succeeded" else _FAILED if phase == "Failed" else []
    return Row(cells, [dict(c) for c in conditions])


PRINTER = Printer(COLUMNS, _row)
