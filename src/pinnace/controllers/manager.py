"""The controller manager: shared informers, event recorders, metrics and the controllers' lifecycle.

The composition root (`pinnace.cli`) creates one `Manager` around a `KubeApi`
client, hands it to `builtin.setup` and to each domain package's
`setup(manager)`, then calls `start` once. A setup function asks for
informers — one per (kind, namespace, selectors), shared by every controller
that watches it — and adds controllers, usually through `controller(...)`,
which wires in the client, an event recorder, the clock and the metrics.
A controller added after `start` starts at once. `stop` stops controllers
first (no new writes), then the informers. `release` lets a runnable give up
an informer (the garbage collector, when a CRD goes away); the last user stops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from prometheus_client import CollectorRegistry

from pinnace.controllers import metrics, reconciling, running
from pinnace.kits import clocks
from pinnace.kits.kube import clients, informers, recording
from pinnace.kits.kube.resources import ResourceType

log = logging.getLogger(__name__)

InformerKey = tuple[ResourceType, str | None, str | None, str | None]


class Runnable(Protocol):
    """What the manager runs: a `running.Controller`, or the garbage collector."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


R = TypeVar("R", bound=Runnable)

Setup = Callable[["Manager"], object]
"""A package's registration hook: `setup(manager)` adds its controllers (the return is ignored)."""


class Manager:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        clock: clocks.Clock = clocks.SYSTEM,
        host: str = "",
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.host = host
        self.metrics = metrics.Metrics(registry)
        self.controllers: list[Runnable] = []
        self._informers: dict[InformerKey, informers.Informer] = {}
        self._users: dict[InformerKey, int] = {}
        self._recorders: dict[str, recording.EventRecorder] = {}
        self._late: set[asyncio.Task[None]] = set()
        self._started = False

    def informer(
        self,
        rt: ResourceType,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> informers.Informer:
        """The shared informer for these coordinates (started at once if the manager runs)."""
        key = (rt, namespace, label_selector, field_selector)
        self._users[key] = self._users.get(key, 0) + 1
        inf = self._informers.get(key)
        if inf is None:
            inf = informers.Informer(
                self.client,
                rt,
                namespace,
                label_selector,
                field_selector,
                clock=self.clock,
            )
            self._informers[key] = inf
            if self._started:
                inf.start()
        return inf

    def running_informers(self) -> list[informers.Informer]:
        """The informers in use now."""
        return list(self._informers.values())

    async def release(self, inf: informers.Informer) -> None:
        """One user is done with `inf`; the last one stops and forgets it."""
        for key, known in list(self._informers.items()):
            if known is not inf:
                continue
            self._users[key] = self._users.get(key, 1) - 1
            if self._users[key] <= 0:
                del self._informers[key]
                del self._users[key]
                await inf.stop()

    def recorder(self, component: str) -> recording.EventRecorder:
        """The event recorder of `component` (one per component, so repeats fold together)."""
        found = self._recorders.get(component)
        if found is None:
            found = self._recorders[component] = recording.EventRecorder(
                self.client, component, host=self.host, clock=self.clock
            )
        return found

    def controller(
        self,
        name: str,
        reconciler: reconciling.Reconciler,
        *,
        primary: informers.Informer | None = None,
        owns: Iterable[informers.Informer] = (),
        watches: Iterable[tuple[informers.Informer, running.Mapper]] = (),
        workers: int = 2,
        component: str | None = None,
        base_delay: float = 0.005,
    ) -> running.Controller:
        """Build a controller wired to this manager and add it (started now if running).

        `component` names the Events of terminal errors (default `<name>-controller`).
        """
        return self.add(
            running.Controller(
                name,
                reconciler,
                primary=primary,
                owns=owns,
                watches=watches,
                workers=workers,
                clock=self.clock,
                base_delay=base_delay,
                client=self.client,
                recorder=self.recorder(component or f"{name}-controller"),
                meter=self.metrics.controller(name),
            )
        )

    def add(self, controller: R) -> R:
        """Add a runnable; if the manager is already running, start it in the background."""
        self.controllers.append(controller)
        if self._started:
            task = asyncio.get_running_loop().create_task(controller.start())
            self._late.add(task)
            task.add_done_callback(self._started_late)
        return controller

    def _started_late(self, task: asyncio.Task[None]) -> None:
        self._late.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a controller added late failed to start", exc_info=task.exception())

    async def start(self) -> None:
        """Start every informer, then every controller (each waits for its caches)."""
        self._started = True
        for inf in list(self._informers.values()):
            inf.start()
        await asyncio.gather(*(c.start() for c in self.controllers))

    async def stop(self) -> None:
        if self._late:
            await asyncio.gather(*self._late, return_exceptions=True)
        await asyncio.gather(*(c.stop() for c in self.controllers))
        await asyncio.gather(*(inf.stop() for inf in self._informers.values()))
        await asyncio.gather(*(r.drain() for r in self._recorders.values()))
        self._started = False
