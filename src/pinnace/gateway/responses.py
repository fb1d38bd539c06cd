"""The gateway's own answers: JSON errors, Kubernetes Status bodies, plain text.

Used by `pinnace.gateway.proxying` (404/502/503/504 for routes),
`pinnace.gateway.app` (`/healthz`, 401/403 on the Kubernetes API paths) and
`pinnace.gateway.websockets` (a denied or failed upgrade, when the server
supports the ASGI `websocket.http.response` extension).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from pinnace.kits.kube import errors as kube_errors

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"


_date: tuple[int, bytes] = (0, b"")


def http_date() -> bytes:
    """The Date header value for now (computed once a second)."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, email.utils.formatdate(now, usegmt=True).encode())
    return _date[1]


def error_body(error: str, message: str, **details: str) -> bytes:
    """`{"error": ..., "message": ..., **details}`: the shape of every route error."""
    return orjson.dumps({"error": error, "message": message, **details})


def status_body(code: int, reason: str, message: str) -> bytes:
    """A Kubernetes `Status` failure, worded as kube-apiserver words it."""
    return orjson.dumps(kube_errors.failure(code, reason, message))


async def send(
    send_: Send,
    status: int,
    body: bytes,
    *,
    content_type: bytes = JSON,
    headers: list[tuple[bytes, bytes]] | None = None,
    websocket: bool = False,
) -> None:
    """Send a whole answer (as `websocket.http.response.*` for a refused upgrade)."""
    prefix = "websocket.http.response" if websocket else "http.response"
    all_headers = [
        (b"date", http_date()),
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(headers or ()),
    ]
    await send_({"type": f"{prefix}.start", "status": status, "headers": all_headers})
    await send_({"type": f"{prefix}.body", "body": body, "more_body": False})


async def refuse_websocket(
    scope: Scope, send_: Send, status: int, body: bytes, *, content_type: bytes = JSON
) -> None:
    """Refuse an upgrade with an HTTP answer when the server allows it, else close (403)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        await send(send_, status, body, content_type=content_type, websocket=True)
    else:
        await send_({"type": "websocket.close", "code": 1013 if status >= 500 else 1008})
