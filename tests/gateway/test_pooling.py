from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from pinnace.gateway import errors, pooling, transports
from pinnace.gateway.backends import Endpoint

Reply = Callable[[bytes, int], Awaitable[bytes | None]]
"""Scripted server: (request head + body, request number on this connection) -> raw answer
(None closes the connection without answering)."""


@dataclass
class Raw:
    """A raw TCP server that answers with scripted bytes, counting connections."""

    reply: Reply
    port: int = 0
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    close_after: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set each time the server has closed a connection."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                chunked = False
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    if name.lower() == b"transfer-encoding":
                        chunked = True
                body = await reader.readexactly(length) if length else b""
                if chunked:
                    while (size := int((await reader.readline()).strip(), 16)) > 0:
                        body += await reader.readexactly(size)
                        await reader.readline()
                    await reader.readline()
                self.requests.append(head + body)
                answer = await self.reply(head + body, n)
                n += 1
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        self.closed.set()


@pytest.fixture
async def raw() -> AsyncIterator[Callable[[Reply], Awaitable[Raw]]]:
    servers: list[asyncio.Server] = []

    async def start(reply: Reply) -> Raw:
        server_state = Raw(reply)
        server = await asyncio.start_server(server_state.handle, "127.0.0.1", 0)
        server_state.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return server_state

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def pool() -> AsyncIterator[pooling.PooledTransport]:
    transport = pooling.PooledTransport(keepalive=5.0)
    yield transport
    await transport.aclose()


def ok(body: bytes = b"ok", *extra: bytes) -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), headers, body)


def request(
    port: int, method: str = "GET", body: transports.Body = None
) -> transports.UpstreamRequest:
    return transports.UpstreamRequest(
        method, Endpoint("127.0.0.1", port), "/x?y=1", [(b"host", b"svc")], body
    )


async def fetch(
    pool: pooling.PooledTransport, req: transports.UpstreamRequest
) -> tuple[int, bytes]:
    resp = await pool.send(req)
    try:
        return resp.status, await resp.read()
    finally:
        resp.close()


async def test_keep_alive_reuses_one_connection(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return ok(b"n=%d" % n)

    server = await raw(reply)
    assert [await fetch(pool, request(server.port)) for _ in range(3)] == [
        (200, b"n=0"),
        (200, b"n=1"),
        (200, b"n=2"),
    ]
    assert server.connections == 1
    assert server.requests[0].startswith(b"GET /x?y=1 HTTP/1.1\r\nhost: svc\r\n")


async def test_connection_close_is_honoured(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return ok(b"bye", b"connection: close")

    server = await raw(reply)
    server.close_after = True
    assert [await fetch(pool, request(server.port)) for _ in range(2)] == [(200, b"bye")] * 2
    assert server.connections == 2


async def test_stale_connection_retried_for_idempotent(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return ok()

    server = await raw(reply)
    server.close_after = True  # closes silently after each answer, as an idle timeout would
    assert await fetch(pool, request(server.port)) == (200, b"ok")
    await asyncio.wait_for(server.closed.wait(), 2)  # the pooled connection is now stale
    assert await fetch(pool, request(server.port)) == (200, b"ok")
    assert server.connections == 2


async def test_post_not_retried_when_server_drops_it(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes | None:
        return None

    server = await raw(reply)
    with pytest.raises(errors.Reset):
        await pool.send(request(server.port, "POST", b"{}"))
    assert server.connections == 1


CHUNKED = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
INTERIM = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"


@pytest.mark.parametrize(
    ("method", "answer", "status", "body"),
    [
        pytest.param("HEAD", b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n", 200, b"", id="head"),
        pytest.param("GET", b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", id="204"),
        pytest.param("GET", CHUNKED, 200, b"abcde", id="chunked"),
        pytest.param("GET", INTERIM, 200, b"hi", id="interim-100"),
    ],
)
async def test_response_framing(
    raw: Callable[[Reply], Awaitable[Raw]],
    pool: pooling.PooledTransport,
    method: str,
    answer: bytes,
    status: int,
    body: bytes,
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return answer

    server = await raw(reply)
    for _ in range(2):  # the connection (or its replacement) still works afterwards
        assert await fetch(pool, request(server.port, method)) == (status, body)


async def test_body_until_close(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return b"HTTP/1.0 200 OK\r\n\r\nuntil the end"

    server = await raw(reply)
    server.close_after = True
    assert await fetch(pool, request(server.port)) == (200, b"until the end")
    assert await fetch(pool, request(server.port)) == (200, b"until the end")
    assert server.connections == 2


async def test_streamed_body_is_chunked(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return ok(req.split(b"\r\n\r\n", 1)[1])

    async def body() -> AsyncIterator[bytes]:
        for part in (b"one,", b"two,", b"three"):
            yield part

    server = await raw(reply)
    assert await fetch(pool, request(server.port, "POST", body())) == (200, b"one,two,three")
    assert b"transfer-encoding: chunked" in server.requests[0]


async def test_large_response_with_back_pressure(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    payload = bytes(range(256)) * 16384  # 4 MiB

    async def reply(req: bytes, n: int) -> bytes:
        return ok(payload)

    server = await raw(reply)
    resp = await pool.send(request(server.port))
    got = bytearray()
    async for chunk in resp.chunks():
        got += chunk
        await asyncio.sleep(0)  # a slow reader
    resp.close()
    assert bytes(got) == payload
    assert await fetch(pool, request(server.port)) == (200, payload)
    assert server.connections == 1


async def test_connect_failure(pool: pooling.PooledTransport, unused_tcp_port: int) -> None:
    with pytest.raises(errors.ConnectFailure):
        await pool.send(request(unused_tcp_port))


async def test_garbage_is_a_reset(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return b"SMTP ready\r\n\r\n"

    server = await raw(reply)
    with pytest.raises(errors.Reset):
        await pool.send(request(server.port))


async def test_idle_connections_expire(raw: Callable[[Reply], Awaitable[Raw]]) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return ok()

    server = await raw(reply)
    transport = pooling.PooledTransport(keepalive=0.0)
    try:
        for _ in range(2):
            assert await fetch(transport, request(server.port)) == (200, b"ok")
    finally:
        await transport.aclose()
    assert server.connections == 2


async def test_abandoned_response_closes_connection(
    raw: Callable[[Reply], Awaitable[Raw]], pool: pooling.PooledTransport
) -> None:
    async def reply(req: bytes, n: int) -> bytes:
        return ok(b"x" * 1_000_000)

    server = await raw(reply)
    resp = await pool.send(request(server.port))
    resp.close()  # before reading the body
    assert await fetch(pool, request(server.port)) == (200, b"x" * 1_000_000)
    assert server.connections == 2
