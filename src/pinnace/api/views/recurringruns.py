"""`RecurringRun` (pipelines.kubeflow.org/v1alpha1): a schedule that starts PipelineRuns.

The trigger stays raw data here (`pinnace.pipelines.schedules` parses it);
the rest of the spec and status is typed for the `recurringruns` controller
and the KFP REST facade.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinnace.api.views import metas
from pinnace.kits.kube.objects import Object


class Mode(enum.StrEnum):
    ENABLE = "ENABLE"
    DISABLE = "DISABLE"


@dataclass(frozen=True, slots=True)
class RecurringRun:
    meta: metas.Meta
    display_name: str
    trigger: Object
    """`spec.trigger`: `{cron: {expression, timezone}}` or `{periodic: {intervalSeconds}}`."""
    start_time: str
    end_time: str
    max_concurrency: int
    no_catchup: bool
    mode: Mode
    run_template: Object
    """The PipelineRun spec each run starts from; read-only."""
    created: str
    last_scheduled: str
    active: tuple[str, ...]

    @property
    def enabled(self) -> bool:
        return self.mode is Mode.ENABLE

    @staticmethod
    def parse(obj: Object) -> RecurringRun:
        spec, status = metas.section(obj, "spec"), metas.section(obj, "status")
        try:
            mode = Mode(str(spec.get("mode") or Mode.ENABLE.value))
        except ValueError:
            mode = Mode.ENABLE
        return RecurringRun(
            meta=metas.Meta.parse(obj),
            display_name=str(spec.get("displayName") or ""),
            trigger=metas.section(spec, "trigger"),
            start_time=str(spec.get("startTime") or ""),
            end_time=str(spec.get("endTime") or ""),
            max_concurrency=min(10, max(1, int(spec.get("maxConcurrency") or 1))),
            no_catchup=bool(spec.get("noCatchup")),
            mode=mode,
            run_template=metas.section(spec, "runTemplate"),
            created=str(metas.section(obj, "metadata").get("creationTimestamp") or ""),
            last_scheduled=str(status.get("lastScheduledTime") or ""),
            active=tuple(str(a) for a in status.get("active") or []),
        )
