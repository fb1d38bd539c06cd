"""Pod status from container statuses: phase and conditions, as the kubelet computes them.

Pure functions; `pods.Worker.render` feeds them the runners' containerStatuses
and writes the result through the `pods/{name}/status` subresource when it
differs from what it last wrote. `phase` is the kubelet's `getPhase`;
`Conditions` keeps each condition's lastTransitionTime until its status flips.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pinnace.kits import clocks
from pinnace.kits.kube.objects import Object


def phase(init_statuses: Sequence[Object], statuses: Sequence[Object], restart_policy: str) -> str:
    """Pending, Running, Succeeded or Failed from the container statuses."""
    pending_init = failed_init = 0
    for cs in init_statuses:
        state, last = cs.get("state") or {}, cs.get("lastState") or {}
        if "terminated" in state:
            failed_init += state["terminated"].get("exitCode") != 0
        elif "waiting" in state and "terminated" in last:
            failed_init += last["terminated"].get("exitCode") != 0
        else:
            pending_init += 1
    running = waiting = stopped = succeeded = 0
    for cs in statuses:
        state, last = cs.get("state") or {}, cs.get("lastState") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif "terminated" in last:
            stopped += 1
        else:
            waiting += 1
    if failed_init and restart_policy == "Never":
        return "Failed"
    if pending_init or waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if restart_policy == "Never" else "Running"
    return "Pending"


class Conditions:
    """PodScheduled, Initialized, ContainersReady and Ready with stable transition times."""

    def __init__(self, previous: Sequence[Object] = ()) -> None:
        self._known: dict[str, Object] = {c["type"]: dict(c) for c in previous if "type" in c}

    def render(
        self,
        *,
        init_statuses: Sequence[Object],
        statuses: Sequence[Object],
        pod_phase: str,
        now: dt.datetime,
    ) -> list[Object]:
        done = pod_phase in ("Succeeded", "Failed")
        incomplete = [
            cs["name"]
            for cs in init_statuses
            if (cs.get("state") or {}).get("terminated", {}).get("exitCode") != 0
        ]
        unready = [cs["name"] for cs in statuses if not cs.get("ready")]
        wanted: list[tuple[str, bool, str, str]] = [("PodScheduled", True, "", "")]
        if incomplete:
            wanted.append(
                (
                    "Initialized",
                    False,
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(incomplete)}]",
                )
            )
        else:
            wanted.append(("Initialized", True, "", ""))
        if done:
            ready = ("", False, "PodCompleted", "")
        elif unready:
            ready = (
                "",
                False,
                "ContainersNotReady",
                f"containers with unready status: [{' '.join(unready)}]",
            )
        else:
            ready = ("", True, "", "")
        wanted.append(("ContainersReady", *ready[1:]))
        wanted.append(("Ready", *ready[1:]))
        out = []
        for kind, status, reason, message in wanted:
            cond: Object = {"type": kind, "status": "True" if status else "False"}
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            old = self._known.get(kind)
            same = old is not None and old.get("status") == cond["status"]
            cond["lastProbeTime"] = None
            cond["lastTransitionTime"] = (
                old.get("lastTransitionTime") if same and old else clocks.rfc3339(now)
            )
            self._known[kind] = cond
            out.append(cond)
        return out
