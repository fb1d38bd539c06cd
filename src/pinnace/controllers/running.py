"""A controller: informers feeding a de-duplicating queue drained by N reconcile workers.

Wiring (`builtin.py`, domain packages) builds a `Controller` from a reconciler,
its primary informer, the informers of kinds it owns (an owned object's event
enqueues its controlling owner's key, found through ownerReferences) and any
custom watches (`mapper(obj) -> keys`, e.g. pod → services selecting it). The
workers apply the `reconciling` contract: success forgets the key's backoff,
`Result.requeue_after` schedules the next pass, an exception requeues with
per-key exponential backoff and a log line, `TerminalError` drops the key
after recording its condition on the primary object and a Warning Event —
here, once, for every controller. A create refused because the namespace is
terminating (the Status cause `NamespaceTerminating`) is dropped quietly: the
namespace controller is emptying it. Each reconcile runs inside a log context
(`contexts`: controller, key, attempt) and is counted in `metrics`. The
`manager.Manager` builds, starts and stops controllers and shares their
informers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from pinnace.controllers import conditions, contexts, metrics, queueing, reconciling, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects, recording
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.kits.kube.resources import ResourceType

log = logging.getLogger(__name__)

Mapper = Callable[[Object], Iterable[ObjectKey]]


def owner_mapper(owner: ResourceType) -> Mapper:
    """Map an object to the key of its controlling owner of kind `owner`."""

    def keys(obj: Object) -> Iterable[ObjectKey]:
        for ref in objects.meta(obj).get("ownerReferences") or []:
            if not ref.get("controller") or ref.get("kind") != owner.kind:
                continue
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            if group != owner.group:
                continue
            namespace = objects.namespace_of(obj) if owner.namespaced else ""
            yield ObjectKey(namespace, str(ref.get("name", "")))

    return keys


def self_mapper(obj: Object) -> Iterable[ObjectKey]:
    yield objects.key_of(obj)


def namespace_terminating(exc: errors.ApiError) -> bool:
    """A create refused because its namespace is being deleted (kube's NamespaceTerminating)."""
    causes = (exc.status.get("details") or {}).get("causes") or []
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


class Controller:
    def __init__(
        self,
        name: str,
        reconciler: reconciling.Reconciler,
        *,
        primary: informers.Informer | None = None,
        owns: Iterable[informers.Informer] = (),
        watches: Iterable[tuple[informers.Informer, Mapper]] = (),
        workers: int = 2,
        clock: clocks.Clock = clocks.SYSTEM,
        base_delay: float = 0.005,
        max_delay: float = 300.0,
        client: clients.KubeApi | None = None,
        recorder: recording.EventRecorder | None = None,
        meter: metrics.ControllerMetrics | None = None,
    ) -> None:
        """`client` and `recorder` let the runner record a `TerminalError` on the primary."""
        self.name = name
        self.reconciler = reconciler
        self.primary = primary
        self.meter = meter or metrics.Metrics().controller(name)
        self.queue: queueing.WorkQueue[ObjectKey] = queueing.WorkQueue(
            clock=clock, base_delay=base_delay, max_delay=max_delay, metrics=self.meter
        )
        self._client = client
        self._recorder = recorder
        self._clock = clock
        self._workers = workers
        self.meter.workers.set(workers)
        self._tasks: list[asyncio.Task[None]] = []
        self.informers: list[informers.Informer] = []
        if primary is not None:
            self.watch(primary, self_mapper)
            for inf in owns:
                self.watch(inf, owner_mapper(primary.resource_type))

        for inf, mapper in watches:
            self.watch(inf, mapper)

    def watch(self, informer: informers.Informer, mapper: Mapper) -> None:
        """Enqueue `mapper(obj)` (and `mapper(old)`) for every event of `informer`."""
        self.informers.append(informer)

        def handler(_type: str, obj: Object, old: Object | None) -> None:
            keys = set(mapper(obj))
            if old is not None:
                keys.update(mapper(old))
            for key in keys:
                self.queue.add(key)

        informer.add_handler(handler)

    async def start(self) -> None:
        """Start the informers (if nobody did), wait for their caches, then the workers."""
        for inf in self.informers:
            inf.start()
        await asyncio.gather(*(inf.wait_synced() for inf in self.informers))
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._work(), name=f"{self.name} worker {i}")
            for i in range(self._workers)
        ]

    async def stop(self) -> None:
        await self.queue.shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _work(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except queueing.ShutDown:
                return
            try:
                await self.process(key)
            finally:
                self.queue.done(key)

    async def process(self, key: ObjectKey) -> None:
        """Reconcile `key` once and requeue it as the outcome says (also used by tests)."""
        attempt = self.queue.failures(key) + 1
        started = time.perf_counter()
        self.meter.active.inc()
        try:
            with contexts.reconciling(self.name, str(key), attempt):
                outcome = await self._process(key)
        finally:
            self.meter.active.dec()
        self.meter.reconciled(outcome, time.perf_counter() - started)

    async def _process(self, key: ObjectKey) -> metrics.Outcome:
        try:
            result = await self.reconciler.reconcile(key)
        except asyncio.CancelledError:
            raise
        except reconciling.TerminalError as exc:
            self.meter.terminal()
            await self._terminal(key, exc)
            return metrics.Outcome.ERROR
        except errors.Conflict as exc:
            delay = self.queue.add_rate_limited(key)
            log.debug("%s: %s: conflict (%s), retrying in %.3fs", self.name, key, exc, delay)
            return metrics.Outcome.ERROR
        except Exception as exc:
            if isinstance(exc, errors.Forbidden) and namespace_terminating(exc):
                # the namespace controller is emptying the namespace: nothing to create there
                self.queue.forget(key)
                log.debug("%s: %s: namespace terminating: %s", self.name, key, exc)
                return metrics.Outcome.SUCCESS
            delay = self.queue.add_rate_limited(key)
            log.warning(
                "%s: %s: reconcile failed (%d), retrying in %.3fs: %r",
                self.name,
                key,
                self.queue.failures(key),
                delay,
                exc,
                exc_info=not isinstance(exc, errors.ApiError | errors.TransportError),
            )
            return metrics.Outcome.ERROR
        if result.requeue_after is not None:
            self.queue.forget(key)
            self.queue.add_after(key, result.requeue_after)
            return metrics.Outcome.REQUEUE_AFTER
        if result.requeue:
            self.queue.add_rate_limited(key)
            return metrics.Outcome.REQUEUE
        self.queue.forget(key)
        return metrics.Outcome.SUCCESS

    async def _terminal(self, key: ObjectKey, exc: reconciling.TerminalError) -> None:
        """Record a terminal error on the primary object (condition + Warning Event); drop the key."""
        log.info("%s: %s: terminal error, not retrying: %s", self.name, key, exc)
        primary = self.primary
        obj = primary.get(key) if primary is not None else None
        if primary is None or obj is None or self._client is None:
            self.queue.forget(key)
            return
        try:
            if exc.condition is not None:
                status = statuses.condition(
                    obj,
                    obj.get("status") or {},
                    exc.condition,
                    conditions.Status.FALSE,
                    reason=exc.reason,
                    message=exc.message,
                    clock=self._clock,
                )
                await statuses.write(self._client, primary.resource_type, obj, status)
        except (errors.ApiError, errors.TransportError) as write_error:
            # a stale cache (409) or a passing failure: try the whole reconcile again
            delay = self.queue.add_rate_limited(key)
            log.debug(
                "%s: %s: could not record terminal error (%s), retry in %.3fs",
                self.name,
                key,
                write_error,
                delay,
            )
            return
        self.queue.forget(key)
        if self._recorder is not None:
            await self._recorder.warning(obj, exc.reason, exc.message)
