"""Shared test helpers for controller tests (imported as `helpers`)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from pinnace.kits.kube import clients, fakes, informers


async def eventually(cond: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.002)


async def caught_up(fake: fakes.FakeKube, *infs: informers.Informer) -> None:
    """Wait until every informer has seen everything written to `fake` so far."""
    fake.bookmark()
    want = str(fake.resource_version)
    await eventually(lambda: all(i.resource_version == want for i in infs))


def ready_status(ip: str) -> dict[str, object]:
    return {
        "phase": "Running",
        "podIP": ip,
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}
        ],
    }


async def run_pods(fake: fakes.FakeKube, *, ready: bool = True) -> list[str]:
    """Play the node agent: every bound pod without a phase beyond Pending becomes Running."""
    from pinnace.api import kinds

    started = []
    for i, pod in enumerate(fake.objects(kinds.PODS)):
        meta = pod["metadata"]
        if not pod.get("spec", {}).get("nodeName") or meta.get("deletionTimestamp"):
            continue
        if pod.get("status", {}).get("phase") == "Running":
            continue
        status = (
            ready_status(f"127.0.0.{10 + i}")
            if ready
            else {"phase": "Running", "podIP": f"127.0.0.{10 + i}"}
        )
        await fake.patch(
            kinds.PODS,
            meta["name"],
            {"status": status},
            namespace=meta["namespace"],
            subresource="status",
        )
        started.append(meta["name"])
    return started


@contextlib.asynccontextmanager
async def real_apiserver(data_dir: Path) -> AsyncIterator[clients.Client]:
    """The embedded API server on a real socket, and a client for it."""
    import uvicorn

    from pinnace.apiserver import app as api_app
    from pinnace.apiserver import server as api_server

    api = api_server.ApiServer(data_dir)
    await api.start()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        api_app.build(api),
        loop="none",
        lifespan="off",
        log_level="warning",
        http="httptools",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    await eventually(lambda: server.started)
    client = clients.Client.from_url(f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        yield client
    finally:
        await client.close()
        server.should_exit = True
        await task
        await api.stop()
