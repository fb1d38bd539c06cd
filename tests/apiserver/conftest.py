"""An API server on a real socket per test, reached with httpx."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from pinnace.apiserver import app, server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    def __init__(self, api: server.ApiServer, http: httpx.AsyncClient, url: str) -> None:
        self.api = api
        self.http = http
        self.url = url


async def start(
    data_dir: Path, settings: server.Settings | None = None
) -> tuple[server.ApiServer, uvicorn.Server, asyncio.Task[None], str]:
    api = server.ApiServer(data_dir, settings=settings)
    await api.start()
    port = free_port()
    config = uvicorn.Config(
        app.build(api), host="127.0.0.1", port=port, log_level="error", lifespan="off"
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:  # noqa: ASYNC110 - uvicorn offers no started event
        await asyncio.sleep(0.01)
    return api, srv, task, f"http://127.0.0.1:{port}"


async def stop(api: server.ApiServer, srv: uvicorn.Server, task: asyncio.Task[None]) -> None:
    srv.should_exit = True
    await task
    await api.stop()


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    api, srv, task, url = await start(tmp_path, server.Settings(bookmark_interval=0.2))
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield Running(api, http, url)
    await stop(api, srv, task)
