"""The work queue between watch events and reconcile workers.

Informer handlers (`running.Controller`) `add` object keys; workers `get` a
key, reconcile it and call `done`. The queue de-duplicates: a key waiting in
the queue is queued once however often it is added, and a key being processed
is never handed to a second worker — if it is added meanwhile, it is queued
again when `done` is called, so the latest state is always reconciled
(client-go's workqueue contract; Kopf keeps one queue per object for the same
reason). Failures come back through `add_rate_limited`: per-key exponential
backoff, reset by `forget` after a success. `add_after` schedules a requeue
(`Result(requeue_after=...)`); the earliest pending deadline wins. The queue
reports adds, retries, depth and time waited to a `QueueMetrics`
(`metrics.ControllerMetrics`: client-go's `workqueue_*` series).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Generic, Protocol, TypeVar

from pinnace.kits import clocks

K = TypeVar("K")


class QueueMetrics(Protocol):
    def added(self) -> None: ...

    def retried(self) -> None: ...

    def depth(self, items: int) -> None: ...

    def waited(self, seconds: float) -> None: ...


class _NoMetrics:
    def added(self) -> None:
        pass

    def retried(self) -> None:
        pass

    def depth(self, items: int) -> None:
        pass

    def waited(self, seconds: float) -> None:
        pass


class ShutDown(Exception):
    """`get` on a queue that was shut down."""


class WorkQueue(Generic[K]):
    def __init__(
        self,
        *,
        clock: clocks.Clock = clocks.SYSTEM,
        base_delay: float = 0.005,
        max_delay: float = 300.0,
        metrics: QueueMetrics | None = None,
    ) -> None:
        self._clock = clock
        self._metrics: QueueMetrics = metrics or _NoMetrics()
        self._since: dict[K, float] = {}
        self._base = base_delay
        self._max = max_delay
        self._queue: deque[K] = deque()
        self._queued: set[K] = set()
        self._processing: set[K] = set()
        self._dirty: set[K] = set()
        self._failures: dict[K, int] = {}
        self._delayed: dict[K, tuple[float, asyncio.Task[None]]] = {}
        self._wakeup = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def processing(self) -> frozenset[K]:
        return frozenset(self._processing)

    @property
    def scheduled(self) -> frozenset[K]:
        """Keys waiting on a delay (`add_after`, backoff) to be queued."""
        return frozenset(self._delayed)

    def idle(self) -> bool:
        """Nothing queued, being processed or scheduled."""
        return not self._queue and not self._processing and not self._delayed

    def add(self, key: K) -> None:
        """Queue `key` unless it is already waiting; if it is being processed, queue it after."""
        if self._closed:
            return
        if key in self._processing:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._queue.append(key)
        self._since[key] = self._clock.monotonic()
        self._metrics.added()
        self._metrics.depth(len(self._queue))
        self._wakeup.set()

    def add_after(self, key: K, delay: float) -> None:
        """Queue `key` after `delay` seconds (the earliest of several pending delays wins)."""
        if self._closed:
            return
        if delay <= 0:
            self.add(key)
            return
        deadline = self._clock.monotonic() + delay
        pending = self._delayed.get(key)
        if pending is not None:
            if pending[0] <= deadline:
                return
            pending[1].cancel()
        task = asyncio.get_running_loop().create_task(self._later(key, delay))
        self._delayed[key] = (deadline, task)

    async def _later(self, key: K, delay: float) -> None:
        await self._clock.sleep(delay)
        self._delayed.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: K) -> float:
        """Requeue after a failure with per-key exponential backoff; returns the delay."""
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self._metrics.retried()
        delay = min(self._max, self._base * 2.0**n)
        self.add_after(key, delay)
        return delay

    def failures(self, key: K) -> int:
        return self._failures.get(key, 0)

    def forget(self, key: K) -> None:
        """Reset the backoff of `key` (after a successful reconcile)."""
        self._failures.pop(key, None)

    async def get(self) -> K:
        """The next key; it counts as processing until `done(key)`."""
        while not self._queue:
            if self._closed:
                raise ShutDown()
            self._wakeup.clear()
            await self._wakeup.wait()
        key = self._queue.popleft()
        self._queued.discard(key)
        self._metrics.depth(len(self._queue))
        self._metrics.waited(
            self._clock.monotonic() - self._since.pop(key, self._clock.monotonic())
        )
        self._processing.add(key)
        return key

    def done(self, key: K) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    async def shutdown(self) -> None:
        """Stop handing out keys; wakes every waiting `get` with `ShutDown`."""
        self._closed = True
        self._wakeup.set()
        for _, task in self._delayed.values():
            task.cancel()
        for _, task in list(self._delayed.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._delayed.clear()
