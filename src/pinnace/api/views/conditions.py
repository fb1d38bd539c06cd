"""`Condition`: one entry of `status.conditions`, in any of the shapes Kubernetes uses.

metav1.Condition (`type, status, reason, message, lastTransitionTime,
observedGeneration`), the older core/apps shape (with `lastUpdateTime` /
`lastProbeTime`) and knative's (with `severity`) all parse into the same view.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Status(enum.StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: Status
    reason: str = ""
    message: str = ""
    last_transition_time: str = ""
    observed_generation: int | None = None

    @property
    def is_true(self) -> bool:
        return self.status is Status.TRUE

    @staticmethod
    def parse(raw: dict[str, Any]) -> Condition:
        try:
            status = Status(str(raw.get("status", "Unknown")))
        except ValueError:
            status = Status.UNKNOWN
        generation = raw.get("observedGeneration")
        return Condition(
            type=str(raw.get("type", "")),
            status=status,
            reason=str(raw.get("reason") or ""),
            message=str(raw.get("message") or ""),
            last_transition_time=str(raw.get("lastTransitionTime") or ""),
            observed_generation=int(generation) if generation is not None else None,
        )


def parse_all(raw: Any) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(Condition.parse(c) for c in raw if isinstance(c, dict))


def find(conditions: tuple[Condition, ...], type_: str) -> Condition | None:
    return next((c for c in conditions if c.type == type_), None)
