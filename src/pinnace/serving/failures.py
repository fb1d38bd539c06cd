"""Why a revision's pods are not serving: a broken storageUri, a model that fails to load.

`reconciling` hands the pods of the latest created revision to `of_pods`; a failing
pod yields a `Failure` naming the container (the storage-initializer, whose fetch
failed, or the model server, which exits 1 when its model does not load), its exit code
and the container's own last words: the `error: ...` line of its log, which
`reconciling` reads through the pods/log API and passes in as `message`. `reporting`
turns it into KServe's `modelStatus.lastFailureInfo` (reason `ModelLoadFailed`) and a
failed PredictorReady condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

MODEL_LOAD_FAILED = "ModelLoadFailed"
RUNTIME_UNHEALTHY = "RuntimeUnhealthy"
_CONFIG_ERRORS = ("CreateContainerConfigError", "CreateContainerError", "StartError")


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    pod: str
    container: str
    exit_code: int | None
    detail: str
    """What the status says without the log (`Error`, the waiting message...)."""
    restarts: int
    init: bool
    previous: bool = False
    """The failed run is the container's previous one (it is waiting to start again)."""

    @property
    def location(self) -> str:
        return f"{self.pod}/{self.container}"


def _failed(status: dict[str, Any]) -> tuple[int | None, str, bool] | None:
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    if terminated and int(terminated.get("exitCode") or 0) != 0:
        return int(terminated["exitCode"]), str(terminated.get("reason") or "Error"), False
    if waiting.get("reason") in _CONFIG_ERRORS:
        return None, str(waiting.get("message") or waiting["reason"]), False
    if last and int(last.get("exitCode") or 0) != 0 and not status.get("ready"):
        return int(last["exitCode"]), str(last.get("reason") or "Error"), True
    return None


def of_pod(pod: Object) -> Failure | None:
    status = pod.get("status") or {}
    name = objects.name_of(pod)
    for init, key in ((True, "initContainerStatuses"), (False, "containerStatuses")):
        for container in status.get(key) or []:
            found = _failed(container)
            if found is not None:
                code, detail, previous = found
                reason = MODEL_LOAD_FAILED if code is not None else RUNTIME_UNHEALTHY
                return Failure(
                    reason=reason,
                    pod=name,
                    container=str(container.get("name") or ""),
                    exit_code=code,
                    detail=detail,
                    restarts=int(container.get("restartCount") or 0),
                    init=init,
                    previous=previous,
                )
    return None


def of_pods(pods: list[Object]) -> list[Failure]:
    return [f for f in (of_pod(p) for p in pods) if f is not None]


def last_words(log: str) -> str:
    """The `error: ...` line a failing model server or initializer printed, else the last line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return line.removeprefix("error:").strip()
    return lines[-1] if lines else ""
