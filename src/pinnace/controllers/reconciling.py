"""The reconcile contract every controller implements (controller-runtime's `reconcile.go`).

`running.Controller` pulls an `ObjectKey` off the work queue and calls
`reconcile(key)`. The reconciler reads the current state (its informer caches
and, when it must, the API), writes the difference, and answers with a
`Result`: done, or requeue after a delay (time is a result: a wait such as
`minReadySeconds` is `Result(requeue_after=...)` on the injected clock, never
a sleep). It never branches on which event woke it; "not found" is just a
state. Raising any exception means "try again with backoff"; raising
`TerminalError` means "retrying will not help": the runner — in one place, for
every controller — writes the error's condition (`Ready=False`, its reason and
message) into the primary object's status, posts a Warning Event with the same
reason, and drops the key until something changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pinnace.kits.kube.objects import ObjectKey


@dataclass(frozen=True, slots=True)
class Result:
    """`requeue_after`: reconcile this key again after that many seconds (no backoff)."""

    requeue_after: float | None = None
    requeue: bool = False

    @staticmethod
    def after(*waits: float | None) -> Result:
        """The soonest of several positive waits (none: done) — for reconcilers with many timers."""
        positive = [w for w in waits if w is not None and w > 0]
        return Result(requeue_after=min(positive)) if positive else DONE


DONE = Result()


class TerminalError(Exception):
    """A failure retrying cannot fix (bad spec, a name taken by someone else).

    `reason` (CamelCase) and the message become the `condition` (default
    `Ready`) of the primary object, status False, and a Warning Event.
    `condition=None`: the reconciler wrote its own status (a built-in kind
    with upstream conditions); only the Event is posted.
    """

    def __init__(
        self, message: str, *, reason: str = "ReconcileError", condition: str | None = "Ready"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.condition = condition


class Reconciler(Protocol):
    async def reconcile(self, key: ObjectKey) -> Result: ...
