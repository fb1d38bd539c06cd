"""The controller manager: shared informers, event recorders and the controllers' lifecycle.

The composition root (`pinnace.cli`, through `builtin.start` and the domain
packages' setup functions) creates one `Manager` around a `KubeApi` client,
asks it for informers — one per (kind, namespace, selectors), shared by every
controller that watches it — adds controllers, and starts them all. `stop`
stops controllers first (no new writes), then the informers.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, TypeVar

from pinnace.controllers import recording
from pinnace.kits import clocks
from pinnace.kits.kube import clients, informers
from pinnace.kits.kube.resources import ResourceType

InformerKey = tuple[ResourceType, str | None, str | None, str | None]


class Runnable(Protocol):
    """What the manager runs: a `running.Controller`, or the garbage collector."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


R = TypeVar("R", bound=Runnable)


class Manager:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        clock: clocks.Clock = clocks.SYSTEM,
        host: str = "",
    ) -> None:
        self.client = client
        self.clock = clock
        self.host = host
        self.controllers: list[Runnable] = []
        self._informers: dict[InformerKey, informers.Informer] = {}
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

    def recorder(self, component: str) -> recording.EventRecorder:
        return recording.EventRecorder(self.client, component, host=self.host, clock=self.clock)

    def add(self, controller: R) -> R:
        self.controllers.append(controller)
        return controller

    async def start(self) -> None:
        """Start every informer, then every controller (each waits for its caches)."""
        self._started = True
        for inf in list(self._informers.values()):
            inf.start()
        await asyncio.gather(*(c.start() for c in self.controllers))

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.controllers))
        await asyncio.gather(*(inf.stop() for inf in self._informers.values()))
        self._started = False
