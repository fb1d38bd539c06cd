"""Run and task states (KFP's RuntimeState names) and the observed facts of a task pod.

Shared by the engine (`advancing`), which decides from them, and the run
controller (`pipelineruns`), which reads pods into `PodView`s and writes the
states into PipelineRun status (docs/design/pipeline-kinds.md).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


class State(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"

    @property
    def terminal(self) -> bool:
        return self in (State.SUCCEEDED, State.SKIPPED, State.FAILED, State.CANCELED)


LABEL_RUN = "pipelines.kubeflow.org/run"
LABEL_TASK = "pipelines.kubeflow.org/task"
LABEL_ATTEMPT = "pipelines.kubeflow.org/attempt"
ANNOTATION_TASK_ID = "pipelines.kubeflow.org/task-id"
CONTAINER = "main"


@dataclass(frozen=True, slots=True)
class PodView:
    """What the engine needs to know of one task pod (one attempt of one task execution)."""

    name: str
    task_id: str
    attempt: int
    phase: str
    exit_code: int | None = None
    reason: str = ""
    message: str = ""
    finished_at: dt.datetime | None = None
    deleting: bool = False

    @property
    def done(self) -> bool:
        return self.phase in ("Succeeded", "Failed")

    @classmethod
    def of(cls, pod: Object) -> PodView | None:
        """None for a pod that is not a task pod (no task-id annotation)."""
        meta = objects.meta(pod)
        task_id = (meta.get("annotations") or {}).get(ANNOTATION_TASK_ID)
        if task_id is None:
            return None
        status = pod.get("status") or {}
        exit_code, reason, message, finished = None, str(status.get("reason") or ""), "", None
        for cs in status.get("containerStatuses") or []:
            if cs.get("name") != CONTAINER:
                continue
            term = (cs.get("state") or {}).get("terminated")
            if term:
                exit_code = int(term.get("exitCode") or 0)
                # The pod's own reason (DeadlineExceeded) says more than the container's.
                reason = reason or str(term.get("reason") or "")
                message = str(term.get("message") or "")
                if term.get("finishedAt"):
                    finished = clocks.parse_rfc3339(term["finishedAt"])
        try:
            attempt = int((meta.get("labels") or {}).get(LABEL_ATTEMPT) or 0)
        except ValueError:
            attempt = 0
        return cls(
            name=objects.name_of(pod),
            task_id=str(task_id),
            attempt=attempt,
            phase=str(status.get("phase") or "Pending"),
            exit_code=exit_code,
            reason=reason,
            message=message,
            finished_at=finished,
            deleting=objects.is_deleting(pod),
        )
