"""Live routes: keeps the published routing table in step with the cluster.

Three informers (`pinnace.kits.kube.informers`) follow VirtualServices,
Services and Endpoints in every namespace. Any VirtualService change, or a
change to a Service/Endpoints that the current table routes to, marks the
table dirty; the rebuild loop waits `Settings.debounce_seconds` to gather a
burst (a Deployment scaling up changes Endpoints several times), builds a new
`tables.RoutingTable` from the caches (pure, see `pinnace.gateway.tables`)
and publishes it in one swap (`pinnace.gateway.publishing`), which also
wakes requests held for an endpoint. Unrelated Service/Endpoints churn costs
one set lookup and no rebuild.

`start` does not wait for the first list: the client may reach the API
server through this very gateway, which is not listening yet during startup.
`synced` tells the CLI's readiness check when the first table is out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pinnace.api import kinds
from pinnace.gateway import publishing, tables
from pinnace.gateway.settings import Settings
from pinnace.kits import clocks
from pinnace.kits.kube import clients, informers, objects

log = logging.getLogger(__name__)


class Watcher:
    def __init__(
        self,
        client: clients.KubeApi,
        publisher: publishing.Publisher,
        settings: Settings,
        *,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self._publisher = publisher
        self._settings = settings
        self._clock = clock
        self.virtual_services = informers.Informer(client, kinds.VIRTUALSERVICES, clock=clock)
        self.services = informers.Informer(client, kinds.SERVICES, clock=clock)
        self.endpoints = informers.Informer(client, kinds.ENDPOINTS, clock=clock)
        self.virtual_services.add_handler(self._on_route)
        self.services.add_handler(self._on_backend)
        self.endpoints.add_handler(self._on_backend)
        self._dirty = asyncio.Event()
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._generation = 0
        self._referenced: frozenset[tuple[str, str]] = frozenset()
        self._parsed: tables.ParseCache = {}

    @property
    def synced(self) -> bool:
        """Whether a table built from complete caches has been published."""
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    async def start(self) -> None:
        if self._task is not None:
            return
        for informer in (self.virtual_services, self.services, self.endpoints):
            informer.start()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gateway routes")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for informer in (self.virtual_services, self.services, self.endpoints):
            await informer.stop()

    def _on_route(self, kind: str, obj: objects.Object, old: objects.Object | None) -> None:
        self._dirty.set()

    def _on_backend(self, kind: str, obj: objects.Object, old: objects.Object | None) -> None:
        if (objects.namespace_of(obj), objects.name_of(obj)) in self._referenced:
            self._dirty.set()

    def rebuild(self) -> tables.RoutingTable:
        """Build a table from the caches now and publish it."""
        self._generation += 1
        table = tables.build(
            self.virtual_services.list(),
            self.services.list(),
            self.endpoints.list(),
            gateways=self._settings.gateways,
            cluster_domain=self._settings.cluster_domain,
            generation=self._generation,
            cache=self._parsed,
        )
        self._referenced = frozenset((k.namespace, k.service) for k in table.backends)
        self._publisher.publish(table)
        log.debug(
            "routing table %d: %d routes, %d backends",
            table.generation,
            len(table.routes),
            len(table.backends),
        )
        return table

    async def _run(self) -> None:
        for informer in (self.virtual_services, self.services, self.endpoints):
            await informer.wait_synced()
        self._dirty.clear()
        self.rebuild()
        self._synced.set()
        while True:
            await self._dirty.wait()
            await self._clock.sleep(self._settings.debounce_seconds)
            self._dirty.clear()
            try:
                self.rebuild()
            except Exception:
                log.exception(
                    "routing table rebuild failed; keeping generation %d",
                    self._publisher.current.generation,
                )
