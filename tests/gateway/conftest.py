"""Real sockets for the proxy tests: aiohttp upstream servers and the gateway under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import pytest
import uvicorn
from aiohttp import web

from pinnace.gateway import app, settings, tables

from . import builders

TOKEN = "s3cret"


@dataclass
class Upstream:
    """One aiohttp server on 127.0.0.1 with test endpoints; `hits` counts requests by path."""

    name: str
    port: int = 0
    hits: dict[str, int] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    seen: dict[str, Any] = field(default_factory=dict)

    def gate(self, name: str) -> asyncio.Event:
        return self.gates.setdefault(name, asyncio.Event())

    def app(self) -> web.Application:
        routes = web.RouteTableDef()

        @web.middleware
        async def count(request: web.Request, handler: Any) -> web.StreamResponse:
            self.hits[request.path] = self.hits.get(request.path, 0) + 1
            resp: web.StreamResponse = await handler(request)
            resp.headers["x-upstream"] = self.name
            return resp

        @routes.route("*", "/ws")
        async def ws(request: web.Request) -> web.StreamResponse:
            sock = web.WebSocketResponse(protocols=("v2.kernel", "other"))
            await sock.prepare(request)
            self.seen["ws-headers"] = dict(request.headers)
            self.seen["ws-path"] = request.path_qs
            async for msg in sock:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    if msg.data.startswith("close:"):
                        await sock.close(code=int(msg.data[6:]))
                        break
                    await sock.send_str(f"echo:{msg.data}")
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    await sock.send_bytes(msg.data[::-1])
            self.seen["ws-close"] = sock.close_code
            self.gate("ws-closed").set()
            return sock

        @routes.route("*", "/ws-deny")
        async def ws_deny(request: web.Request) -> web.Response:
            return web.Response(status=403, text="no kernels for you")

        @routes.route("*", "/stream")
        async def stream(request: web.Request) -> web.StreamResponse:
            n, size = int(request.query.get("n", "4")), int(request.query.get("size", "1024"))
            resp = web.StreamResponse()
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            for i in range(n):
                await resp.write(bytes([65 + i % 26]) * size)
                if i == 0 and "wait" in request.query:
                    await asyncio.wait_for(self.gate("first-chunk-seen").wait(), 5)
            await resp.write_eof()
            return resp

        @routes.get("/sse")
        async def sse(request: web.Request) -> web.StreamResponse:
            resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await resp.prepare(request)
            try:
                await resp.write(b"data: one\n\n")
                await asyncio.wait_for(self.gate("sse-next").wait(), 5)
                await resp.write(b"data: two\n\n")
                if "forever" in request.query:
                    while True:
                        await asyncio.sleep(0.05)
                        await resp.write(b": ping\n\n")
                await resp.write_eof()
            except (asyncio.CancelledError, ConnectionResetError):
                self.gate("sse-gone").set()
                raise
            return resp

        @routes.route("*", "/upload")
        async def upload(request: web.Request) -> web.Response:
            digest, size = hashlib.sha256(), 0
            async for chunk in request.content.iter_any():
                if size == 0:
                    self.gate("upload-started").set()
                digest.update(chunk)
                size += len(chunk)
            return web.json_response({"size": size, "sha256": digest.hexdigest()})

        @routes.get("/slow")
        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(float(request.query.get("delay", "1")))
            return web.Response(text="late")

        @routes.route("*", "/flaky")
        async def flaky(request: web.Request) -> web.Response:
            fail = int(request.query.get("fail", "1"))
            if self.hits[request.path] <= fail:
                return web.Response(status=int(request.query.get("code", "503")), text="flaky")
            return web.Response(text=f"ok after {self.hits[request.path]}")

        @routes.route("*", "/{tail:.*}")
        async def echo(request: web.Request) -> web.Response:
            body = await request.read()
            return web.json_response(
                {
                    "method": request.method,
                    "path": request.raw_path,
                    "headers": [
                        [k.decode("latin-1").lower(), v.decode("latin-1")]
                        for k, v in request.raw_headers
                    ],
                    "body": body.decode("latin-1"),
                }
            )

        application = web.Application(middlewares=[count])
        application.add_routes(routes)
        return application


@pytest.fixture
async def upstreams() -> AsyncIterator[Callable[[str], Awaitable[Upstream]]]:
    runners: list[web.AppRunner] = []

    async def start(name: str) -> Upstream:
        up = Upstream(name)
        runner = web.AppRunner(
            up.app(), handle_signals=False, access_log=None, shutdown_timeout=0.1
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        up.port = runner.addresses[0][1]
        runners.append(runner)
        return up

    yield start
    for runner in runners:
        await runner.cleanup()


class _Server(uvicorn.Server):
    """uvicorn without signal handlers, stopped by an event rather than its 0.1 s poll."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stopping = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield

    async def main_loop(self) -> None:
        await self.stopping.wait()


@dataclass
class Running:
    gateway: app.Gateway
    url: str
    session: aiohttp.ClientSession

    def publish(self, vss: list[dict[str, Any]], ups: dict[str, list[Upstream | int]]) -> None:
        """Route to Services named like `ups`' keys, each with the given upstreams' ports."""
        svcs, eps = [], []
        for name, members in ups.items():
            svcs.append(
                builders.service(name, ports=[{"name": "http", "port": 80, "targetPort": 8080}])
            )
            subsets = [
                {
                    "addresses": [{"ip": "127.0.0.1"}],
                    "ports": [{"name": "http", "port": m.port if isinstance(m, Upstream) else m}],
                }
                for m in members
            ]
            eps.append({**builders.endpoints(name, []), "subsets": subsets})
        self.gateway.publisher.publish(tables.build(vss, svcs, eps))

    async def get_json(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.get(self.url + path, **kwargs) as resp:
            return resp.status, orjson.loads(await resp.read())


async def kube_api(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A stand-in Kubernetes API app that echoes what reached it."""
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": scope["path"]})
        await send({"type": "websocket.close", "code": 1000})
        return
    body = orjson.dumps(
        {"path": scope["path"], "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]]}
    )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def transport() -> str:
    """The upstream client under test; test_proxying runs every test with each."""
    return "pooled"


@pytest.fixture
async def serve(transport: str) -> AsyncIterator[Callable[..., Awaitable[Running]]]:
    stack = contextlib.AsyncExitStack()

    async def start(gw: app.Gateway | None = None, **kwargs: Any) -> Running:
        if gw is None:
            options = {"admin_token": TOKEN, "transport": transport, **kwargs.pop("options", {})}
            gw = app.build(
                settings.Settings(**options),
                kube_api=kube_api,
                client=None,
                ready=kwargs.pop("ready", lambda: True),
                **kwargs,
            )
        config = uvicorn.Config(
            gw,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            **app.UVICORN_OPTIONS,  # type: ignore[arg-type]
        )
        server = _Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        session = aiohttp.ClientSession(auto_decompress=False)

        async def stop() -> None:
            await session.close()
            server.should_exit = True
            server.stopping.set()
            await task

        stack.push_async_callback(stop)
        return Running(gw, f"http://127.0.0.1:{port}", session)

    yield start
    await stack.aclose()
