"""The kubelet's log endpoint as a small ASGI app.

    GET /containerLogs/{namespace}/{pod}/{container}
        ?follow=true&tailLines=N&previous=true&timestamps=true
        &sinceSeconds=S&sinceTime=RFC3339&limitBytes=B

answers `text/plain`, streaming with `follow` until the container stops or the
client goes away. `node` serves it with uvicorn on 127.0.0.1 and records the
port in the Node's `status.daemonEndpoints.kubeletEndpoint.Port`; the API
server proxies `pods/{name}/log` here. Errors are Kubernetes `Status` bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable, Generator, MutableMapping
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson
import uvicorn

from pinnace.kits import clocks
from pinnace.kits.kube import errors
from pinnace.runtime import agents, logs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["false"])[-1].lower() in ("true", "1")


def _int(query: dict[str, list[str]], name: str) -> int | None:
    values = query.get(name)
    value = values[-1] if values else ""
    if not value:
        return None
    number = int(value)
    if number < 0:
        raise ValueError(f"{name} must be non-negative")
    return number


class LogApp:
    def __init__(self, agent: agents.Agent, *, poll: float = 0.1) -> None:
        self.agent = agent
        self.poll = poll

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        parts = [unquote(p) for p in scope["path"].strip("/").split("/")]
        if scope["method"] != "GET" or len(parts) != 4 or parts[0] != "containerLogs":
            await _status(send, 404, "NotFound", "the server could not find the requested resource")
            return
        _, namespace, pod, container = parts
        query = parse_qs(scope.get("query_string", b"").decode())
        try:
            follow, previous = _flag(query, "follow"), _flag(query, "previous")
            timestamps = _flag(query, "timestamps")
            tail, since_seconds = _int(query, "tailLines"), _int(query, "sinceSeconds")
            limit = _int(query, "limitBytes")
            since_time = (query.get("sinceTime") or [None])[-1]
            since = time.time() - since_seconds if since_seconds is not None else None
            if since_time:
                since = clocks.parse_rfc3339(since_time).timestamp()
        except ValueError as exc:
            await _status(send, 400, "BadRequest", str(exc))
            return
        worker = self.agent.find(namespace, pod)
        runner = worker.runner(container) if worker is not None else None
        if worker is None or runner is None:
            what = f'pod "{pod}"' if worker is None else f"container {container} in pod {pod}"
            await _status(send, 404, "NotFound", f"{what} not found")
            return
        if previous and runner.record.restart_count == 0:
            message = f'previous terminated container "{container}" in pod "{pod}" not found'
            await _status(send, 400, "BadRequest", message)
            return
        path = runner.log_path(previous=previous)
        if not path.exists():
            reason = "is waiting to start" if "waiting" in runner.state else "has no log"
            await _status(
                send, 400, "BadRequest", f'container "{container}" in pod "{pod}" {reason}'
            )
            return
        offset = logs.start_offset(path, tail=tail, since=since)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"cache-control", b"no-cache")],
            }
        )
        sent = 0

        async def emit(chunk: bytes) -> bool:
            nonlocal sent
            if limit is not None:
                chunk = chunk[: max(0, limit - sent)]
            sent += len(chunk)
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            return limit is None or sent < limit

        if not follow or previous:
            chunk, _ = logs.read(path, offset=offset, timestamps=timestamps)
            await emit(chunk)
        else:
            gone = asyncio.ensure_future(_disconnected(receive))
            try:
                stream = logs.follow(
                    path,
                    offset=offset,
                    running=lambda: runner.running() and runner.log_path() == path,
                    timestamps=timestamps,
                    poll=self.poll,
                )
                async for chunk in stream:
                    if gone.done() or not await emit(chunk):
                        break
            finally:
                gone.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await gone
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _status(send: Send, code: int, reason: str, message: str) -> None:
    body = orjson.dumps(errors.failure(code, reason, message))
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals belong to the CLI, not to this embedded server


class Serving:
    """The log endpoint served by uvicorn on 127.0.0.1 (port 0: any free port)."""

    def __init__(self, app: LogApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.server.serve([self.sock]))

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.sock.close()
