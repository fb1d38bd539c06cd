"""A controller: informers feeding a de-duplicating queue drained by N reconcile workers.

Wiring (`builtin.py`, domain packages) builds a `Controller` from a reconciler,
its primary informer, the informers of kinds it owns (an owned object's event
enqueues its controlling owner's key, found through ownerReferences) and any
custom watches (`mapper(obj) -> keys`, e.g. pod → services selecting it). The
workers apply the `reconciling` contract: success forgets the key's backoff,
`Result.requeue_after` schedules the next pass, an exception requeues with
per-key exponential backoff and a log line, `TerminalError` drops the key.
The `manager.Manager` starts and stops controllers and shares their informers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from pinnace.controllers import queueing, reconciling
from pinnace.kits import clocks
from pinnace.kits.kube import errors, informers, objects
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
    return any(c.get("reason") == "NamespaceTerminating" for c in causes) or (
        "because it is being terminated" in exc.message
    )


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
    ) -> None:
        self.name = name
        self.reconciler = reconciler
        self.queue: queueing.WorkQueue[ObjectKey] = queueing.WorkQueue(
            clock=clock, base_delay=base_delay, max_delay=max_delay
        )
        self._workers = workers
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
        try:
            result = await self.reconciler.reconcile(key)
        except asyncio.CancelledError:
            raise
        except reconciling.TerminalError as exc:
            self.queue.forget(key)
            log.error("%s: %s: terminal error, not retrying: %s", self.name, key, exc)
        except errors.Conflict as exc:
            delay = self.queue.add_rate_limited(key)
            log.debug("%s: %s: conflict (%s), retrying in %.3fs", self.name, key, exc, delay)
        except Exception as exc:
            if isinstance(exc, errors.Forbidden) and namespace_terminating(exc):
                # the namespace controller is emptying the namespace: nothing to create there
                self.queue.forget(key)
                log.debug("%s: %s: namespace terminating: %s", self.name, key, exc)
                return
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
        else:
            if result.requeue_after is not None:
                self.queue.forget(key)
                self.queue.add_after(key, result.requeue_after)
            elif result.requeue:
                self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
