"""`PipelineRun` (pipelines.kubeflow.org/v1alpha1): the run's IR, parameters and state.

`RunState` is KFP v2's `V2beta1RuntimeState` (the CRD's `status.state` enum).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinnace.api.views import conditions, metas
from pinnace.kits.kube.objects import Object


class RunState(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    PAUSED = "PAUSED"

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCEEDED, RunState.SKIPPED, RunState.FAILED, RunState.CANCELED)


def _state(value: object) -> RunState:
    try:
        return RunState(str(value or "PENDING"))
    except ValueError:
        return RunState.PENDING


@dataclass(frozen=True, slots=True)
class TaskStatus:
    task_id: str
    name: str
    state: RunState
    pod_name: str = ""
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class PipelineRun:
    meta: metas.Meta
    display_name: str
    pipeline_spec: Object
    """The KFP IR (`PipelineSpec` JSON) as written; read-only."""
    parameters: Object
    pipeline_root: str
    enable_caching: bool | None
    service_account: str
    cancel: bool
    state: RunState
    tasks: tuple[TaskStatus, ...]
    conditions: tuple[conditions.Condition, ...]

    def task(self, task_id: str) -> TaskStatus | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    @staticmethod
    def parse(obj: Object) -> PipelineRun:
        spec, status = metas.section(obj, "spec"), metas.section(obj, "status")
        runtime = metas.section(spec, "runtimeConfig")
        caching = spec.get("enableCaching")
        return PipelineRun(
            meta=metas.Meta.parse(obj),
            display_name=str(spec.get("displayName") or ""),
            pipeline_spec=metas.section(spec, "pipelineSpec"),
            parameters=metas.section(runtime, "parameters"),
            pipeline_root=str(runtime.get("pipelineRoot") or ""),
            enable_caching=bool(caching) if caching is not None else None,
            service_account=str(spec.get("serviceAccountName") or ""),
            cancel=bool(spec.get("cancel")),
            state=_state(status.get("state")),
            tasks=tuple(
                TaskStatus(
                    task_id=str(t.get("taskId", "")),
                    name=str(t.get("name", "")),
                    state=_state(t.get("state")),
                    pod_name=str(t.get("podName") or ""),
                    attempts=int(t.get("attempts") or 0),
                )
                for t in status.get("tasks") or []
                if isinstance(t, dict)
            ),
            conditions=conditions.parse_all(status.get("conditions")),
        )
