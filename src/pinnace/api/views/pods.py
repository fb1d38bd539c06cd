"""`Pod`: what controllers read of a pod — phase, readiness, IP, container states, restarts."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinnace.api.views import conditions, metas
from pinnace.kits.kube.objects import Object


class Phase(enum.StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


class StateKind(enum.StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class ContainerState:
    """One of waiting / running / terminated, with its reason (`CrashLoopBackOff`, `Error`...)."""

    kind: StateKind
    reason: str = ""
    message: str = ""
    exit_code: int | None = None

    @staticmethod
    def parse(raw: Object | None) -> ContainerState | None:
        if not isinstance(raw, dict):
            return None
        for kind in StateKind:
            body = raw.get(kind.value)
            if isinstance(body, dict):
                code = body.get("exitCode")
                return ContainerState(
                    kind,
                    str(body.get("reason") or ""),
                    str(body.get("message") or ""),
                    int(code) if code is not None else None,
                )
        return None


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    name: str
    ready: bool
    restart_count: int
    state: ContainerState | None
    last_state: ContainerState | None = None

    @staticmethod
    def parse(raw: Object) -> ContainerStatus:
        return ContainerStatus(
            name=str(raw.get("name", "")),
            ready=bool(raw.get("ready")),
            restart_count=int(raw.get("restartCount") or 0),
            state=ContainerState.parse(raw.get("state")),
            last_state=ContainerState.parse(raw.get("lastState")),
        )


@dataclass(frozen=True, slots=True)
class Pod:
    meta: metas.Meta
    node_name: str
    phase: Phase
    pod_ip: str
    conditions: tuple[conditions.Condition, ...]
    containers: tuple[ContainerStatus, ...]

    @property
    def ready(self) -> bool:
        cond = conditions.find(self.conditions, "Ready")
        return cond is not None and cond.is_true

    @property
    def active(self) -> bool:
        """Not terminating and not finished (kube's `IsPodActive`)."""
        return not self.meta.deleting and self.phase not in (Phase.SUCCEEDED, Phase.FAILED)

    @property
    def restarts(self) -> int:
        return sum(c.restart_count for c in self.containers)

    def container(self, name: str) -> ContainerStatus | None:
        return next((c for c in self.containers if c.name == name), None)

    @staticmethod
    def parse(obj: Object) -> Pod:
        spec, status = metas.section(obj, "spec"), metas.section(obj, "status")
        try:
            phase = Phase(str(status.get("phase") or "Pending"))
        except ValueError:
            phase = Phase.UNKNOWN
        return Pod(
            meta=metas.Meta.parse(obj),
            node_name=str(spec.get("nodeName") or ""),
            phase=phase,
            pod_ip=str(status.get("podIP") or ""),
            conditions=conditions.parse_all(status.get("conditions")),
            containers=tuple(
                ContainerStatus.parse(c)
                for c in status.get("containerStatuses") or []
                if isinstance(c, dict)
            ),
        )
