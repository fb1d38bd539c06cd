"""The real API server in process, reached by the real client: the unit tests' Kubernetes.

Controllers, informers, the node agent and the gateway's watchers are unit-tested
against `pinnace.apiserver` itself (temp SQLite, served by uvicorn on 127.0.0.1:0
in the test's own loop) through `clients.Client`, so they meet the same
semantics as on `pinnace up`: validation, graceful pod deletion, strategic merge,
404 for a missing namespace, streaming watches. `Kube` adds only what a test
needs on top — fault injection (`fail_next`, `end_watches`, `expire_history`)
and synchronous reads of the stored objects for assertions (`objects`). It holds
no semantics of its own: every verb goes to the server.

    async with apiservers.serve(tmp_path) as kube:
        await kube.create(kinds.CONFIGMAPS, {...})
        assert kube.objects(kinds.CONFIGMAPS, "ns")

The root conftest offers it as the `kube` fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import uvicorn

from pinnace.api import crds, kinds
from pinnace.apiserver import admission
from pinnace.apiserver import app as api_app
from pinnace.apiserver import server as api_server
from pinnace.kits import clocks
from pinnace.kits.kube import clients
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType

_SHM = Path("/dev/shm")


class _Server(uvicorn.Server):
    """uvicorn without signal handlers, started and stopped by events rather than its 0.1 s poll."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = asyncio.Event()
        self.stopping = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.up.set()

    async def main_loop(self) -> None:
        await self.stopping.wait()

    async def shutdown(self, sockets: Any = None) -> None:
        # uvicorn's own shutdown sleeps 0.1 s unconditionally; a test has nothing to drain.
        for listener in self.servers:
            listener.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        # The client is closed first, so open streams see the disconnect and end by themselves.
        if self.server_state.tasks:
            await asyncio.wait(set(self.server_state.tasks), timeout=2)
        for task in self.server_state.tasks:
            task.cancel()


class Kube:
    """`clients.KubeApi` on the real server, with fault controls and reads for assertions."""

    def __init__(self, api: api_server.ApiServer, client: clients.Client, url: str) -> None:
        self.api = api
        self.client = client
        self.url = url
        self._faults: dict[str, list[Exception]] = {}
        self._watch_ends: set[asyncio.Event] = set()

    # -- test controls -----------------------------------------------------------------------

    def fail_next(self, verb: str, error: Exception) -> None:
        """The next call of `verb` (get, list, create, replace, patch, delete, post, watch,
        server_resources) raises `error` instead of reaching the server."""
        self._faults.setdefault(verb, []).append(error)

    def end_watches(self) -> None:
        """End every open watch stream, as a server restart or a watch timeout does."""
        for ended in self._watch_ends:
            ended.set()

    def expire_history(self) -> None:
        """Compact the server's change log: a watch from any resourceVersion so far gets 410."""
        store = self.api.store
        store.history.clear()
        store.compacted_rv = store.resource_version

    def objects(self, rt: ResourceType, namespace: str | None = None) -> list[Object]:
        """The stored objects of a kind (copies), sorted by namespace and name."""
        stored = self.api.store.objects(f"{rt.group}/{rt.plural}", namespace)
        return [copy.deepcopy(o) for o in stored]

    @property
    def resource_version(self) -> int:
        """The server's latest resourceVersion."""
        return self.api.store.resource_version

    def _fault(self, verb: str) -> None:
        queued = self._faults.get(verb)
        if queued:
            raise queued.pop(0)

    # -- KubeApi -----------------------------------------------------------------------------

    async def get(self, rt: ResourceType, name: str, **kw: Any) -> Object:
        self._fault("get")
        return await self.client.get(rt, name, **kw)

    async def list(self, rt: ResourceType, **kw: Any) -> clients.ObjectList:
        self._fault("list")
        return await self.client.list(rt, **kw)

    async def create(self, rt: ResourceType, obj: Object, **kw: Any) -> Object:
        self._fault("create")
        return await self.client.create(rt, obj, **kw)

    async def replace(self, rt: ResourceType, obj: Object, **kw: Any) -> Object:
        self._fault("replace")
        return await self.client.replace(rt, obj, **kw)

    async def patch(self, rt: ResourceType, name: str, patch: clients.Patch, **kw: Any) -> Object:
        self._fault("patch")
        return await self.client.patch(rt, name, patch, **kw)

    async def delete(self, rt: ResourceType, name: str, **kw: Any) -> Object:
        self._fault("delete")
        return await self.client.delete(rt, name, **kw)

    async def post(
        self, rt: ResourceType, name: str, subresource: str, body: Object, **kw: Any
    ) -> Object:
        self._fault("post")
        return await self.client.post(rt, name, subresource, body, **kw)

    async def watch(self, rt: ResourceType, **kw: Any) -> AsyncIterator[clients.WatchEvent]:
        self._fault("watch")
        ended = asyncio.Event()
        self._watch_ends.add(ended)
        stream = aiter(self.client.watch(rt, **kw))
        ending = asyncio.ensure_future(ended.wait())
        step: asyncio.Future[clients.WatchEvent] | None = None
        try:
            while True:
                step = asyncio.ensure_future(anext(stream))
                await asyncio.wait({step, ending}, return_when=asyncio.FIRST_COMPLETED)
                if not step.done():
                    return  # end_watches(): the stream ends here, as a server would end it
                try:
                    event = step.result()
                except StopAsyncIteration:
                    return
                yield event
        finally:
            ending.cancel()
            self._watch_ends.discard(ended)
            if step is not None and not step.done():
                step.cancel()
                await asyncio.wait({step})
            if step is not None and not step.cancelled():
                step.exception()  # retrieved: a transport error after the end is moot
            await stream.aclose()  # type: ignore[attr-defined]

    async def server_resources(self) -> clients.Resources:
        self._fault("server_resources")
        return await self.client.server_resources()

    async def close(self) -> None:
        self.end_watches()


def _data_dir(base: Path) -> Path:
    """Temp SQLite on tmpfs when the machine has one: the same store, without the fsyncs."""
    if _SHM.is_dir():
        return Path(tempfile.mkdtemp(prefix="pinnace-test-", dir=_SHM))
    return base


@contextlib.asynccontextmanager
async def serve(
    data_dir: Path,
    *,
    clock: clocks.Clock = clocks.SYSTEM,
    namespaces: Iterable[str] = ("ns",),
    crd_names: Iterable[str] = (),
    settings: api_server.Settings | None = None,
    validators: dict[tuple[str, str], admission.Validator] | None = None,
) -> AsyncIterator[Kube]:
    """The API server on 127.0.0.1:0 with `namespaces` and the named platform CRDs created."""
    where = _data_dir(data_dir)
    api = api_server.ApiServer(where, settings=settings, clock=clock, validators=validators)
    await api.start()
    config = uvicorn.Config(
        api_app.build(api),
        host="127.0.0.1",
        port=0,
        loop="none",
        lifespan="off",
        log_level="warning",
        http="httptools",
        access_log=False,
    )
    server = _Server(config)
    serving = asyncio.ensure_future(server.serve())
    up = asyncio.ensure_future(server.up.wait())
    await asyncio.wait({serving, up}, return_when=asyncio.FIRST_COMPLETED)
    if not up.done():
        up.cancel()
        serving.result()
        raise RuntimeError("the test API server stopped while starting")
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    kube = Kube(api, clients.Client.from_url(url), url)
    try:
        for name in namespaces:
            await kube.create(kinds.NAMESPACES, {"metadata": {"name": name}})
        wanted = set(crd_names)
        for crd in crds.all_crds():
            if crd["metadata"]["name"] in wanted:
                await kube.create(kinds.CUSTOMRESOURCEDEFINITIONS, crd)
        yield kube
    finally:
        kube.end_watches()
        await kube.client.close()
        server.should_exit = True
        server.stopping.set()
        await serving
        await api.stop()
        if where != data_dir:
            shutil.rmtree(where, ignore_errors=True)
