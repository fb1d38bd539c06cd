"""A recording API server and a kubectl runner for tests that drive the real kubectl.

`Served` runs the bare API server app on a socket (kubectl sends no credentials
over plain http, so no gateway is needed) and can note every request body;
`Kubectl` runs the binary against it with a private HOME and kubeconfig.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from pinnace.apiserver import app, server

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Recorded:
    method: str
    path: str
    content_type: str
    body: bytes


def recording(inner: Asgi, log: list[Recorded]) -> Asgi:
    """The API server app, noting each request body before passing it on."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope["headers"])
        log.append(
            Recorded(
                scope["method"], scope["path"], headers.get(b"content-type", b"").decode(), body
            )
        )
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await inner(scope, replay, send)

    return wrapped


class Served:
    def __init__(self, data_dir: Path, log: list[Recorded] | None = None) -> None:
        self.api = server.ApiServer(data_dir)
        self.log = log
        self.url = ""
        self._srv: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Served:
        await self.api.start()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        asgi: Asgi = app.build(self.api)
        if self.log is not None:
            asgi = recording(asgi, self.log)
        config = uvicorn.Config(asgi, loop="none", lifespan="off", log_level="error")
        self._srv = uvicorn.Server(config)
        self._srv.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.ensure_future(self._srv.serve(sockets=[sock]))
        while not self._srv.started:  # noqa: ASYNC110 - uvicorn offers no started event
            await asyncio.sleep(0.005)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._srv is not None and self._task is not None
        self._srv.should_exit = True
        await self._task
        await self.api.stop()


def write_kubeconfig(path: Path, url: str) -> Path:
    path.write_text(
        orjson.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": url}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [
                    {"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "default"}}
                ],
                "current-context": "x",
            }
        ).decode()
    )
    return path


class Kubectl:
    def __init__(self, kubeconfig: Path, home: Path) -> None:
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home)}
        self.limit = asyncio.Semaphore(4)

    async def __call__(self, *args: str) -> tuple[int, str]:
        async with self.limit:
            proc = await asyncio.create_subprocess_exec(
                "kubectl",
                *args,
                env=self.env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode()
