"""The API server instance: storage, registry, watch hub and settings in one place.

`ApiServer` is what every verb module receives. `start()` opens the store,
serves the stored CRDs and makes sure the namespaces every cluster has exist;
`app.build(server)` turns it into the ASGI app the gateway mounts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from pinnace.apiserver import registry, storage, watching
from pinnace.kits import clocks
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass(frozen=True, slots=True)
class Settings:
    max_body_bytes: int = 3 * 1024 * 1024
    """kube-apiserver's limit on a request body (413 above it)."""
    max_object_bytes: int = int(1.5 * 1024 * 1024)
    """etcd's default limit on one stored object."""
    bookmark_interval: float = 60.0
    history: int = 20_000
    """Committed changes kept for watch resumption; older resourceVersions get 410."""
    service_cidr_prefix: str = "10.96"
    git_version: str = "v1.32.0-pinnace"


class ApiServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        settings: Settings | None = None,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.settings = settings or Settings()
        self.clock = clock
        self.store = storage.Store(data_dir / "state.db", history=self.settings.history)
        self.registry = registry.Registry()
        self.hub = watching.Hub(self.store)
        self.ready = False
        self._http: aiohttp.ClientSession | None = None

    def http_session(self) -> aiohttp.ClientSession:
        """Outbound HTTP (the node agents' log endpoints), created on first use."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    def now(self) -> str:
        return clocks.rfc3339(self.clock.now())

    async def start(self) -> None:
        self.store.open()
        for crd in self.store.objects("apiextensions.k8s.io/customresourcedefinitions"):
            self.registry.register_crd(crd)
        for name in SYSTEM_NAMESPACES:
            if self.store.get("/namespaces", "", name) is None:
                await self.store.put("/namespaces", self._namespace(name), None)
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        if self._http is not None:
            await self._http.close()
        await self.store.close()

    def _namespace(self, name: str) -> Object:
        from pinnace.apiserver import metadata

        obj: Object = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        metadata.init_on_create(obj, self.now())
        return obj
