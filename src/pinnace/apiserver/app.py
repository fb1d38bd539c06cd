"""The API server as an ASGI app: routing, body limits, errors and streams.

`build(server)` returns the app the gateway mounts for `/api`, `/apis`,
`/version` and `/openapi`. Each request is resolved (`requests.resolve`) and
handed to its verb module; a `StatusError` becomes its Status body, anything
else a 500 InternalError (logged) — the server keeps serving either way.
Streams (watch, logs) end when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from pinnace.apiserver import (
    authorizing,
    deleting,
    discovery,
    documents,
    encoding,
    errors,
    reading,
    requests,
    resolving,
    reviews,
    storage,
    streaming,
    swagger,
    writing,
)
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ApiApp:
    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.documents = documents.Documents(server)
        self.authorizer = authorizing.Authorizer(server)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await self._read_body(receive, headers)
            info = requests.resolve(
                scope["method"], scope["path"], requests.parse_query(scope.get("query_string", b""))
            )
            user = self.authorizer.check(headers, info)
            req = Request(info=info, headers=headers, body=body)
            if reviews.serves(info):
                reply = reviews.create(self.authorizer, req, user)
            else:
                reply = await self._dispatch(req)
        except errors.StatusError as exc:
            reply = Reply(exc.code, exc.status())
        except storage.StoreFailed as exc:
            self.server.ready = False
            reply = Reply(500, errors.InternalError(str(exc)).status())
        except Exception:
            log.exception("internal error serving %s %s", scope["method"], scope["path"])
            reply = Reply(500, errors.InternalError("an internal error occurred").status())
        await self._send(reply, scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket upgrade: watch streams as kube-apiserver serves them, else a Status.

        Each watch event is one text frame holding the event's JSON, as kube-apiserver's
        WebSocket watch sends it. Nothing else is served over WebSocket (exec, attach and
        port-forward are not served at all): the upgrade is refused with the Status an
        HTTP request would get, never a bare 500.
        """
        if (await receive())["type"] != "websocket.connect":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            info = requests.resolve(
                "GET", scope["path"], requests.parse_query(scope.get("query_string", b""))
            )
            self.authorizer.check(headers, info)
            if info.is_resource and info.verb != "watch":
                resolving.resource(self.server, Request(info=info, headers=headers))
            if not info.is_resource or info.verb != "watch":
                raise errors.BadRequest(
                    "only watch requests (?watch=true) are served over WebSocket"
                )
            reply = await streaming.watch(self.server, Request(info=info, headers=headers))
        except errors.StatusError as exc:
            await _refuse(scope, send, exc.code, exc.status())
            return
        except Exception:
            log.exception("internal error serving a WebSocket upgrade on %s", scope["path"])
            failure = errors.InternalError("an internal error occurred")
            await _refuse(scope, send, failure.code, failure.status())
            return
        await send({"type": "websocket.accept"})
        assert reply.stream is not None
        await _pump_frames(reply.stream, receive, send)

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> bytes:
        limit = self.server.settings.max_body_bytes
        # Past the limit the rest of a moderately large body is read and dropped, so that
        # clients that write the whole body before reading the answer see the 413.
        drain_limit = limit * 8
        too_large = errors.RequestTooLarge(f"Request entity too large: limit is {limit}")
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > drain_limit:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > drain_limit:
                raise too_large
            if not message.get("more_body"):
                break
        if size > limit:
            raise too_large
        return b"".join(chunks)

    async def _dispatch(self, req: Request) -> Reply:
        info = req.info
        if info.is_resource:
            return await self._resource(req)
        return self._meta(req)

    async def _resource(self, req: Request) -> Reply:
        verb = req.info.verb
        server = self.server
        handlers: dict[str, Callable[[ApiServer, Request], Awaitable[Reply]]] = {
            "get": reading.get,
            "list": reading.list_,
            "watch": streaming.watch,
            "create": writing.create,
            "update": writing.update,
            "patch": writing.patch,
            "delete": deleting.delete,
            "deletecollection": deleting.delete_collection,
        }
        handler = handlers.get(verb)
        if handler is None:
            raise errors.MethodNotAllowed(
                "the server does not allow this method on the requested resource"
            )
        return await handler(server, req)

    def _meta(self, req: Request) -> Reply:
        path = req.info.path.rstrip("/")
        server = self.server
        accept = req.headers.get("accept")
        if req.info.method != "GET":
            raise errors.MethodNotAllowed(
                "the server does not allow this method on the requested resource"
            )
        if path == "/version":
            return Reply(200, discovery.version(server))
        if path in ("/api", "/apis"):
            core = path == "/api"
            if discovery.wants_aggregated(accept):
                return Reply(
                    200, discovery.aggregated(server, core=core), content_type=discovery.AGGREGATED
                )
            return Reply(200, discovery.core_versions() if core else discovery.groups(server))
        if path in ("/readyz", "/livez", "/healthz"):
            return Reply(
                200 if server.ready else 503,
                stream=_text(b"ok" if server.ready else b"not ready"),
                content_type="text/plain",
            )
        if path == "/openapi/v2":
            infos = list(server.registry.all())
            version = server.settings.git_version
            if swagger.ACCEPTED in (accept or ""):
                document = swagger.protobuf_document(infos, version)
                return Reply(200, document, content_type=swagger.CONTENT_TYPE)
            return Reply(200, swagger.json_document(infos, version))
        if path == "/openapi/v3":
            return Reply(200, self.documents.index())
        if path.startswith("/openapi/v3/"):
            doc = self.documents.document(path[len("/openapi/v3/") :])
            if doc is not None:
                return Reply(200, doc)
            raise errors.NotFound(resolving.NOT_FOUND, details={})
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            body = discovery.resources(server, "", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            body = discovery.group(server, parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            body = discovery.resources(server, parts[1], parts[2])
        else:
            body = None
        if body is None:
            raise errors.NotFound(resolving.NOT_FOUND, details={})
        return Reply(200, body)

    async def _send(self, reply: Reply, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", reply.content_type.encode())]
        headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
        headers.append((b"cache-control", b"no-cache, private"))
        if reply.stream is None:
            if isinstance(reply.body, bytes):
                payload = reply.body
            else:
                payload = encoding.dumps(reply.body) if reply.body is not None else b""
            headers.append((b"content-length", str(len(payload)).encode()))
            await send({"type": "http.response.start", "status": reply.code, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            return
        await send({"type": "http.response.start", "status": reply.code, "headers": headers})
        await _pump(reply.stream, receive, send)


async def _text(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _relay(
    stream: AsyncIterator[bytes],
    receive: Receive,
    disconnect: str,
    emit: Callable[[bytes], Awaitable[None]],
) -> bool:
    """`emit` each chunk until the stream ends (False) or the client goes away (True).

    A watch stream may stay silent for minutes, so the client's `disconnect` message
    is raced against the next chunk instead of being noticed at the next write.
    """

    async def until_disconnect() -> None:
        while (await receive())["type"] != disconnect:
            pass

    watcher = asyncio.ensure_future(until_disconnect())
    try:
        iterator = stream.__aiter__()
        while True:
            next_chunk = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({next_chunk, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if next_chunk not in done:
                next_chunk.cancel()
                with contextlib.suppress(BaseException):
                    await next_chunk
                return True
            try:
                chunk = next_chunk.result()
            except StopAsyncIteration:
                return False
            await emit(chunk)
    except OSError:
        return True
    finally:
        watcher.cancel()
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(BaseException):
                await aclose()


async def _pump(stream: AsyncIterator[bytes], receive: Receive, send: Send) -> None:
    """Send chunks until the stream ends or the client disconnects."""

    async def body(chunk: bytes) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})

    if not await _relay(stream, receive, "http.disconnect", body):
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _refuse(scope: Scope, send: Send, code: int, status: dict[str, Any]) -> None:
    """Answer an upgrade with an HTTP Status when the server allows it, else close the socket."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        payload = encoding.dumps(status)
        await send(
            {
                "type": "websocket.http.response.start",
                "status": code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": payload})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": status["message"][:120]})


async def _pump_frames(stream: AsyncIterator[bytes], receive: Receive, send: Send) -> None:
    """One text frame per watch event until the stream ends or the client closes."""

    async def frames(chunk: bytes) -> None:
        for line in chunk.splitlines():
            if line:
                await send({"type": "websocket.send", "text": line.decode()})

    client_left = False
    try:
        client_left = await _relay(stream, receive, "websocket.disconnect", frames)
    finally:
        if not client_left:
            with contextlib.suppress(BaseException):
                await send({"type": "websocket.close", "code": 1000})


def build(server: ApiServer) -> ApiApp:
    return ApiApp(server)
