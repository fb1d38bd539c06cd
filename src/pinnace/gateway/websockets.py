"""The WebSocket proxy: Jupyter kernels, terminals and any other upgrade along a route.

`pinnace.gateway.app` hands every non-platform `websocket` scope to
`WebSocketProxy.websocket`. It finds the route as the HTTP proxy does (same
table, authorization, rewrite, headers and endpoint choice, method `GET`),
opens the upstream WebSocket first — same path, query, subprotocols and
headers (cookies, origin, identity) — and only then accepts downstream with
the subprotocol the upstream chose, so a refused upstream handshake reaches
the client as the upstream's own HTTP status (or a close when the server
lacks the ASGI `websocket.http.response` extension). Then frames are pumped
both ways until one side closes; its close code is passed to the other side
(1005/1006, which cannot be sent, become 1000/1011).
"""

from __future__ import annotations

import asyncio
import logging

from pinnace.gateway import (
    activating,
    auth,
    errors,
    forwarding,
    proxying,
    publishing,
    responses,
    transports,
)

log = logging.getLogger(__name__)

_UNSENDABLE = {1005: 1000, 1006: 1011, 1015: 1011}


def _close_code(code: int | None) -> int:
    if code is None:
        return 1000
    return _UNSENDABLE.get(code, code)


class WebSocketProxy:
    def __init__(
        self,
        *,
        publisher: publishing.Publisher,
        transport: transports.Transport,
        authorizer: auth.Authorizer,
        holder: activating.Holder,
        strip: frozenset[bytes],
    ) -> None:
        self._publisher = publisher
        self._transport = transport
        self._authorizer = authorizer
        self._holder = holder
        self._strip = strip

    async def websocket(
        self,
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
        identity: auth.Identity | None,
        identity_headers: list[tuple[bytes, bytes]],
    ) -> None:
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        req = proxying.request_view(scope, "GET")
        hit = self._publisher.current.lookup(req)
        if hit is None:
            message = f"no route for websocket {req.authority}{req.path}"
            body = responses.error_body("not found", message)
            await responses.refuse_websocket(scope, send, 404, body)
            return
        route = hit.route
        decision = await self._authorizer.authorize(
            identity, auth.Access(auth.Target.ROUTE, "GET", req.path, route)
        )
        if not decision.allowed:
            error = "unauthorized" if decision.status == 401 else "forbidden"
            body = responses.error_body(error, decision.reason or "access denied")
            await responses.refuse_websocket(scope, send, decision.status, body)
            return
        target = route.spread.pick()
        backend = target.backend if target is not None else None
        endpoint = backend.pick() if backend is not None else None
        if target is not None and backend is not None and endpoint is None:
            held = await self._holder.hold(route, backend, method="GET", path=req.path)
            if held is not None:
                backend, endpoint = held, held.pick()
        if target is None or backend is None or endpoint is None:
            problem = f"service {backend.key} {backend.problem}" if backend else "no destination"
            body = responses.error_body("no healthy upstream", f"route {route.label}: {problem}")
            await responses.refuse_websocket(scope, send, 503, body)
            return
        headers = forwarding.upstream_headers(
            scope["headers"],
            client=scope["client"][0] if scope.get("client") else "",
            scheme=req.scheme,
            strip=self._strip,
            identity=identity_headers,
            plan=target.request_headers,
            original_path=req.path if hit.rewritten else None,
            authority=route.authority,
            websocket=True,
        )
        qs = req.query_string
        upstream_request = transports.UpstreamRequest(
            "GET", endpoint, f"{hit.path}?{qs}" if qs else hit.path, headers
        )
        try:
            upstream = await self._transport.websocket(
                upstream_request, list(scope.get("subprotocols") or ())
            )
        except errors.HandshakeRejected as exc:
            await responses.refuse_websocket(
                scope, send, exc.status, exc.body, content_type=b"text/plain"
            )
            return
        except errors.UpstreamError as exc:
            where = f"{endpoint.host}:{endpoint.port}"
            message = f"route {route.label}: service {backend.key} at {where}: {exc}"
            await responses.refuse_websocket(
                scope, send, 502, responses.error_body("upstream connect error", message)
            )
            return
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
        await _pump_both(upstream, receive, send)


async def _downstream_to_upstream(
    upstream: transports.UpstreamSocket, receive: responses.Receive
) -> None:
    while True:
        msg = await receive()
        kind = msg["type"]
        if kind == "websocket.receive":
            text = msg.get("text")
            await upstream.send(text if text is not None else msg.get("bytes") or b"")
        elif kind == "websocket.disconnect":
            await upstream.close(_close_code(msg.get("code")), str(msg.get("reason") or ""))
            return


async def _upstream_to_downstream(
    upstream: transports.UpstreamSocket, send: responses.Send
) -> None:
    while True:
        message = await upstream.receive()
        if message is None:
            await send({"type": "websocket.close", "code": _close_code(upstream.close_code)})
            await upstream.close()
            return
        if isinstance(message, str):
            await send({"type": "websocket.send", "text": message})
        else:
            await send({"type": "websocket.send", "bytes": message})


async def _pump_both(
    upstream: transports.UpstreamSocket, receive: responses.Receive, send: responses.Send
) -> None:
    tasks = (
        asyncio.ensure_future(_downstream_to_upstream(upstream, receive)),
        asyncio.ensure_future(_upstream_to_downstream(upstream, send)),
    )
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.debug("websocket pump ended: %r", task.exception())
    finally:
        for task in tasks:
            task.cancel()
        await upstream.close()
