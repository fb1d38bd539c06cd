"""Expectations: remember writes the informer cache has not shown yet.

A reconciler that creates pods with fresh random names reads its pods from a
cache that lags its own writes by one watch event. Without care, the next
reconcile would see too few pods and create more (kube's ReplicaSet controller
solves this with `ControllerExpectations`). A reconciler records the names it
created or deleted under its key with `expect`; `pending(key, lookup)` checks
them against the cache and drops those already visible. While some remain
(and younger than `ttl`), the reconciler skips scaling and waits for the
owned-object event that will wake it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object, ObjectKey

Lookup = Callable[[ObjectKey], Object | None]


@dataclass
class _Pending:
    since: float
    creates: set[ObjectKey] = field(default_factory=set)
    deletes: set[ObjectKey] = field(default_factory=set)


class Expectations:
    def __init__(self, *, clock: clocks.Clock = clocks.SYSTEM, ttl: float = 300.0) -> None:
        self._clock = clock
        self._ttl = ttl
        self._pending: dict[ObjectKey, _Pending] = {}

    def expect(
        self,
        key: ObjectKey,
        *,
        creates: Iterable[ObjectKey] = (),
        deletes: Iterable[ObjectKey] = (),
    ) -> None:
        p = self._pending.setdefault(key, _Pending(self._clock.monotonic()))
        p.since = self._clock.monotonic()
        p.creates.update(creates)
        p.deletes.update(deletes)

    def observed(self, key: ObjectKey, child: ObjectKey) -> None:
        """A write failed or is known done: stop waiting for `child`."""
        p = self._pending.get(key)
        if p is not None:
            p.creates.discard(child)
            p.deletes.discard(child)

    def pending(self, key: ObjectKey, lookup: Lookup) -> bool:
        """True while some expected write is not yet visible through `lookup` (the cache)."""
        p = self._pending.get(key)
        if p is None:
            return False
        p.creates = {c for c in p.creates if lookup(c) is None}
        p.deletes = {
            d for d in p.deletes if (obj := lookup(d)) is not None and not objects.is_deleting(obj)
        }
        if (not p.creates and not p.deletes) or self._clock.monotonic() - p.since > self._ttl:
            del self._pending[key]
            return False
        return True

    def forget(self, key: ObjectKey) -> None:
        self._pending.pop(key, None)
