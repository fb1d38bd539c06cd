"""The downstream request body as the proxy sends it upstream.

`pinnace.gateway.proxying` wraps each request's ASGI `receive` in a
`RequestBody`. A body announced by Content-Length up to the buffer limit is
read whole first (`prepare`), so it goes upstream in one write and can be sent
again on retry; a larger or chunked one is streamed from `receive` as it
arrives, and is replayable only until its first chunk has been taken.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from pinnace.gateway import responses, transports

RawHeaders = list[tuple[bytes, bytes]]


class ClientGone(Exception):
    """The client disconnected while its request body was being read."""


class RequestBody:
    """The request body: read whole when small, else streamed once from `receive`."""

    __slots__ = ("_data", "_limit", "_receive", "_started", "_streaming")

    def __init__(self, receive: responses.Receive, headers: RawHeaders, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self._data: bytes | None = None
        self._started = False
        length: int | None = None
        chunked = False
        for k, v in headers:
            if k == b"content-length":
                length = int(v)
            elif k == b"transfer-encoding":
                chunked = True
        self._streaming = chunked or (length is not None and length > limit)
        if not self._streaming and length:
            self._data = b""  # read in prepare()

    async def prepare(self) -> None:
        if self._data is None:
            return
        parts = []
        while True:
            msg = await self._receive()
            if msg["type"] == "http.disconnect":
                raise ClientGone
            parts.append(msg.get("body", b""))
            if not msg.get("more_body"):
                break
        self._data = b"".join(parts)

    @property
    def replayable(self) -> bool:
        return not self._streaming or not self._started

    def payload(self) -> transports.Body:
        return self._stream() if self._streaming else self._data

    async def _stream(self) -> AsyncIterator[bytes]:
        self._started = True
        while True:
            msg = await self._receive()
            if msg["type"] == "http.disconnect":
                raise ClientGone
            chunk = msg.get("body", b"")
            if chunk:
                yield chunk
            if not msg.get("more_body"):
                return
