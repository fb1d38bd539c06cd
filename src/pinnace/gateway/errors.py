"""Errors of the gateway's outbound boundary (the transport to upstream endpoints).

    UpstreamError            an upstream exchange failed before a response began
    ├── ConnectFailure       no connection (refused, unreachable, connect timeout):
    │                        nothing was sent, always safe to retry
    ├── Reset                the connection dropped before the response headers
    └── HandshakeRejected    a WebSocket upgrade answered with a plain HTTP response
                             (carries status, headers and body to pass downstream)

Transports (`pinnace.gateway.transports`) raise these, wrapping their
library's exceptions (`raise ... from exc`); the proxy maps them to answers:
`ConnectFailure`/`Reset` → 502 after retries, a timeout → 504.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """An upstream exchange failed before any response reached the client."""


class ConnectFailure(UpstreamError):
    """The endpoint could not be reached; nothing was sent."""


class Reset(UpstreamError):
    """The connection closed or failed before response headers arrived."""


class HandshakeRejected(UpstreamError):
    """The upstream answered a WebSocket upgrade with a plain HTTP response."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        super().__init__(f"websocket handshake rejected with {status}")
