"""The outbound seam: how the proxy talks to upstream endpoints.

`pinnace.gateway.proxying` and `pinnace.gateway.websockets` see only the
`Transport` protocol (send one HTTP request and get the response once its
headers arrive; open one WebSocket). `AiohttpTransport`, the default, keeps
one `aiohttp.ClientSession` with keep-alive pooling for every endpoint: no
cookie jar (users must never share cookies), no redirects followed, no
automatic decompression or default headers, so bytes pass through as sent.
Tests may inject any object with the same shape.

Failures surface as `pinnace.gateway.errors` (the library's exceptions are
wrapped at this boundary); timeouts are left to the caller (`asyncio.timeout`).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import yarl

from pinnace.gateway import errors
from pinnace.gateway.backends import Endpoint

RawHeaders = list[tuple[bytes, bytes]]
Body = bytes | AsyncIterable[bytes] | None


@dataclass(slots=True)
class UpstreamRequest:
    method: str
    endpoint: Endpoint
    target: str
    """Raw path plus `?query` when there is one, already percent-encoded."""
    headers: RawHeaders
    """Lower-case names; the Host header included."""
    body: Body = None


class UpstreamResponse(Protocol):
    status: int
    headers: RawHeaders
    """Lower-case names, as received (hop-by-hop included; the proxy filters)."""
    content_length: int | None

    def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (each chunk sent on at once: SSE stays live)."""
        ...

    async def read(self) -> bytes: ...

    def close(self) -> None:
        """Release the connection (dropped if the body was not read to the end)."""
        ...


class UpstreamSocket(Protocol):
    subprotocol: str | None

    async def receive(self) -> str | bytes | None:
        """The next text or binary message; None once the upstream closed."""
        ...

    @property
    def close_code(self) -> int | None: ...

    async def send(self, message: str | bytes) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class Transport(Protocol):
    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        """Send the request; returns when the response headers are in."""
        ...

    async def websocket(
        self, request: UpstreamRequest, subprotocols: Sequence[str]
    ) -> UpstreamSocket: ...

    async def aclose(self) -> None: ...


class _Response:
    __slots__ = ("_resp", "content_length", "headers", "status")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers = [(k.lower(), v) for k, v in resp.raw_headers]
        self.content_length = resp.content_length

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.content.iter_any():
                yield chunk
        except aiohttp.ClientError as exc:
            raise errors.Reset(str(exc)) from exc

    async def read(self) -> bytes:
        try:
            return await self._resp.read()
        except aiohttp.ClientError as exc:
            raise errors.Reset(str(exc)) from exc

    def close(self) -> None:
        self._resp.release()


class _Socket:
    __slots__ = ("_ws", "subprotocol")

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self.subprotocol = ws.protocol

    async def receive(self) -> str | bytes | None:
        while True:
            msg = await self._ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                return str(msg.data)
            if msg.type is aiohttp.WSMsgType.BINARY:
                return bytes(msg.data)
            if msg.type in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                continue
            return None

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    async def send(self, message: str | bytes) -> None:
        if isinstance(message, str):
            await self._ws.send_str(message)
        else:
            await self._ws.send_bytes(message)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._ws.close(code=code, message=reason.encode())


def _decoded(headers: RawHeaders) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]


_SKIP = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})


class AiohttpTransport:
    """The default transport: one pooled aiohttp session (create it inside the running loop)."""

    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        keepalive: float = 3.0,
        max_connections: int = 1000,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._keepalive = keepalive
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._limit,
                    limit_per_host=0,
                    keepalive_timeout=self._keepalive,
                    use_dns_cache=True,
                    ttl_dns_cache=10,
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=_SKIP,
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self._connect_timeout, connect=self._connect_timeout
                ),
            )
        return self._session

    @staticmethod
    def _url(request: UpstreamRequest, scheme: str = "http") -> yarl.URL:
        host, port = request.endpoint
        return yarl.URL(f"{scheme}://{host}:{port}{request.target}", encoded=True)

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        session = self._open()
        try:
            resp = await session.request(
                request.method,
                self._url(request),
                headers=_decoded(request.headers),
                data=request.body,
                allow_redirects=False,
                compress=None,
            )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise errors.ConnectFailure(str(exc)) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise errors.Reset(str(exc) or type(exc).__name__) from exc
        return _Response(resp)

    async def websocket(
        self, request: UpstreamRequest, subprotocols: Sequence[str]
    ) -> UpstreamSocket:
        session = self._open()
        try:
            ws = await session.ws_connect(
                self._url(request, "ws"),
                protocols=subprotocols,
                headers=_decoded(request.headers),
                autoclose=False,
                autoping=True,
                max_msg_size=0,
            )
        except aiohttp.WSServerHandshakeError as exc:
            headers = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            raise errors.HandshakeRejected(exc.status, headers, b"") from exc
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise errors.ConnectFailure(str(exc)) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise errors.Reset(str(exc) or type(exc).__name__) from exc
        return _Socket(ws)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
