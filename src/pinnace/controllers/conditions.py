"""Status conditions as controllers write them (`metav1.Condition` / apps' conditions).

Reconcilers build the new status from scratch and use `set_condition` so that
`lastTransitionTime` only moves when the status of a condition changes — the
same rule the upstream controllers follow, which keeps a status write a no-op
when nothing changed. `observed_generation` fills `metav1.Condition`'s own
`observedGeneration` (the generation the condition describes).
"""

from __future__ import annotations

import enum
from typing import Any

Condition = dict[str, Any]


class Status(enum.StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


def find(conditions: list[Condition] | None, type_: str) -> Condition | None:
    for cond in conditions or []:
        if cond.get("type") == type_:
            return cond
    return None


def set_condition(
    conditions: list[Condition] | None,
    type_: str,
    status: str,
    *,
    reason: str,
    message: str,
    now: str,
    update_time_field: str | None = None,
    observed_generation: int | None = None,
) -> list[Condition]:
    """A new list with `type_` set; `lastTransitionTime` kept unless the status flips.

    `update_time_field` (e.g. apps' `lastUpdateTime`) is refreshed whenever reason or
    message change.
    """
    old = find(conditions, type_)
    new: Condition = {"type": type_, "status": status, "reason": reason, "message": message}
    if observed_generation is not None:
        new["observedGeneration"] = observed_generation
    same_status = old is not None and old.get("status") == status
    new["lastTransitionTime"] = old.get("lastTransitionTime", now) if same_status and old else now
    if update_time_field:
        unchanged = (
            same_status
            and old is not None
            and old.get("reason") == reason
            and old.get("message") == message
        )
        new[update_time_field] = old.get(update_time_field, now) if unchanged and old else now
    if old is None:
        return [*(conditions or []), new]
    return [new if c.get("type") == type_ else c for c in conditions or []]
