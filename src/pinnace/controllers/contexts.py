"""The log context of one reconcile: which controller, which key, which attempt.

`running.Controller` enters `reconciling(...)` around every call to a
reconciler, so anything logged inside — by the reconciler, the kit or the
client — can say what it was working on without threading names through
every call. `ContextFilter`, installed on a handler (the CLI does it for
`pinnace up`), copies the context onto each record as `controller`, `key`
and `attempt` and appends it to the message, as controller-runtime's logger
carries `controller`, `namespace`, `name` and `reconcileID`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reconcile:
    controller: str
    key: str
    attempt: int
    """1 for the first try after a success, n for the n-th try in a row after failures."""


_current: contextvars.ContextVar[Reconcile | None] = contextvars.ContextVar(
    "pinnace_reconcile", default=None
)


def current() -> Reconcile | None:
    """The reconcile running in this task, if any."""
    return _current.get()


@contextlib.contextmanager
def reconciling(controller: str, key: str, attempt: int) -> Iterator[Reconcile]:
    ctx = Reconcile(controller, key, attempt)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


class ContextFilter(logging.Filter):
    """Adds `controller`, `key`, `attempt` to every record (empty outside a reconcile)."""

    def __init__(self, *, annotate: bool = True) -> None:
        super().__init__()
        self._annotate = annotate

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        record.controller = ctx.controller if ctx else ""
        record.key = ctx.key if ctx else ""
        record.attempt = ctx.attempt if ctx else 0
        if ctx is not None and self._annotate and not getattr(record, "_pinnace_ctx", False):
            record.msg = (
                f"{record.msg} [controller={ctx.controller} key={ctx.key} attempt={ctx.attempt}]"
            )
            record._pinnace_ctx = True
        return True
