"""`Deployment` and `StatefulSet`: desired replicas and the status counts controllers read.

A domain controller that owns a Deployment (KServe's predictor) or a
StatefulSet (a Notebook) asks "is it rolled out and available?" through
`rolled_out`, which follows `kubectl rollout status`: the status describes
the current generation and every replica is updated and available.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinnace.api.views import conditions, metas
from pinnace.kits.kube.objects import Object


@dataclass(frozen=True, slots=True)
class WorkloadStatus:
    observed_generation: int
    replicas: int
    ready: int
    available: int
    updated: int
    conditions: tuple[conditions.Condition, ...]

    @staticmethod
    def parse(raw: Object) -> WorkloadStatus:
        return WorkloadStatus(
            observed_generation=int(raw.get("observedGeneration") or 0),
            replicas=int(raw.get("replicas") or 0),
            ready=int(raw.get("readyReplicas") or 0),
            available=int(raw.get("availableReplicas") or 0),
            updated=int(raw.get("updatedReplicas") or 0),
            conditions=conditions.parse_all(raw.get("conditions")),
        )


@dataclass(frozen=True, slots=True)
class Workload:
    """What Deployments and StatefulSets share."""

    meta: metas.Meta
    replicas: int
    min_ready_seconds: int
    status: WorkloadStatus

    @property
    def observed(self) -> bool:
        """The status describes the current spec."""
        return self.status.observed_generation >= self.meta.generation

    @property
    def rolled_out(self) -> bool:
        s = self.status
        return (
            self.observed
            and s.updated >= self.replicas
            and s.available >= self.replicas
            and s.replicas == self.replicas
        )

    def condition(self, type_: str) -> conditions.Condition | None:
        return conditions.find(self.status.conditions, type_)


@dataclass(frozen=True, slots=True)
class Deployment(Workload):
    paused: bool = False

    @property
    def deadline_exceeded(self) -> bool:
        cond = self.condition("Progressing")
        return cond is not None and cond.reason == "ProgressDeadlineExceeded"

    @staticmethod
    def parse(obj: Object) -> Deployment:
        spec = metas.section(obj, "spec")
        return Deployment(
            meta=metas.Meta.parse(obj),
            replicas=int(spec.get("replicas", 1)),
            min_ready_seconds=int(spec.get("minReadySeconds") or 0),
            status=WorkloadStatus.parse(metas.section(obj, "status")),
            paused=bool(spec.get("paused")),
        )


@dataclass(frozen=True, slots=True)
class StatefulSet(Workload):
    service_name: str = ""

    @staticmethod
    def parse(obj: Object) -> StatefulSet:
        spec = metas.section(obj, "spec")
        return StatefulSet(
            meta=metas.Meta.parse(obj),
            replicas=int(spec.get("replicas", 1)),
            min_ready_seconds=int(spec.get("minReadySeconds") or 0),
            status=WorkloadStatus.parse(metas.section(obj, "status")),
            service_name=str(spec.get("serviceName") or ""),
        )
