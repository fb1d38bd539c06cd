"""The reconcile contract every controller implements (controller-runtime's `reconcile.go`).

`running.Controller` pulls an `ObjectKey` off the work queue and calls
`reconcile(key)`. The reconciler reads the current state (its informer caches
and, when it must, the API), writes the difference, and answers with a
`Result`: done, or requeue after a delay. It never branches on which event
woke it; "not found" is just a state. Raising any exception means "try again
with backoff"; raising `TerminalError` means "retrying will not help": the
reconciler has written the failure into the object's status conditions, and
the key is dropped until something changes.
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


DONE = Result()


class TerminalError(Exception):
    """A failure retrying cannot fix (bad spec); record it in status and stop retrying."""


class Reconciler(Protocol):
    async def reconcile(self, key: ObjectKey) -> Result: ...
