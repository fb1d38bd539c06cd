"""The HTTP proxy: one request along its matched route to one upstream endpoint.

`pinnace.gateway.app` hands every non-platform HTTP request (with the caller's
identity headers) to `Proxy.http`. Flow: look the request up in the current
table (404 JSON if nothing matches) → authorize the route → answer a
`redirect`/`directResponse` route itself → pick a destination by weight and an
endpoint by round robin (if none is ready, the `Holder` may wait for one, else
503 "no healthy upstream") → send through the `Transport` and stream the
response back.

Bodies: see `pinnace.gateway.bodies` for the request side. Responses stream down chunk by chunk as they arrive (SSE events are
flushed one by one); a small response with a Content-Length goes in one message.
While a response streams, a client disconnect stops the upstream read.

Timeouts and retries (Istio semantics, with one deliberate difference):
`timeout` bounds the time until the response headers arrive (504), not the
whole body, so event streams and downloads under a timed route are not cut.
`retries.attempts` retries go to the next endpoint (after 25 ms times the
attempt number) on the `retryOn` conditions Envoy knows — connect failure,
reset before headers, a retriable status (`5xx`, `gateway-error`,
`retriable-status-codes` = 503, `retriable-4xx` = 409, or a bare code) — and
only while the request body can be sent again. Without `retries`, a route gets
`Settings.default_retries` on connect failures only (a request that reached
the server is never sent twice unless the route asks for it; the transport
itself resends an idempotent request that met a connection closed while idle).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from pinnace.gateway import (
    activating,
    auth,
    backends,
    bodies,
    errors,
    forwarding,
    matching,
    metrics,
    publishing,
    responses,
    routes,
    tables,
    transports,
)
from pinnace.gateway.settings import Settings
from pinnace.kits import clocks

log = logging.getLogger(__name__)

NO_ROUTE = "no route"
RawHeaders = list[tuple[bytes, bytes]]


def host_of(scope: responses.Scope) -> str:
    for k, v in scope["headers"]:
        if k == b"host":
            return str(v.decode("latin-1"))
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else ""


def scheme_of(scope: responses.Scope) -> str:
    """`http`/`https` for the request (a WebSocket's `ws`/`wss` map onto them)."""
    scheme = str(scope.get("scheme") or "http")
    return {"ws": "http", "wss": "https"}.get(scheme, scheme)


def request_view(scope: responses.Scope, method: str) -> matching.RequestView:
    raw = scope.get("raw_path")
    server = scope.get("server")
    return matching.RequestView(
        method=method,
        path=raw.decode("latin-1") if raw else scope["path"],
        authority=host_of(scope),
        scheme=scheme_of(scope),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        raw_headers=scope["headers"],
        port=server[1] if server else None,
    )


def _retriable_status(code: int, retry_on: frozenset[str]) -> bool:
    if code >= 500 and "5xx" in retry_on:
        return True
    if code in (502, 503, 504) and "gateway-error" in retry_on:
        return True
    if code == 503 and "retriable-status-codes" in retry_on:
        return True
    if code == 409 and "retriable-4xx" in retry_on:
        return True
    return str(code) in retry_on


CONNECT_CONDITIONS = frozenset({"connect-failure", "5xx", "reset", "gateway-error"})
RESET_CONDITIONS = frozenset({"reset", "5xx"})
TIMEOUT_CONDITIONS = frozenset({"5xx", "gateway-error", "reset"})


class Proxy:
    def __init__(
        self,
        settings: Settings,
        *,
        publisher: publishing.Publisher,
        transport: transports.Transport,
        authorizer: auth.Authorizer,
        holder: activating.Holder,
        meter: metrics.Metrics | None = None,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._transport = transport
        self._authorizer = authorizer
        self._holder = holder
        self._meter = meter
        self._clock = clock
        self._strip = frozenset(
            {settings.userid_header.lower().encode(), settings.groups_header.lower().encode()}
        )
        self._default_retries = routes.RetryPolicy(
            settings.default_retries, None, frozenset({"connect-failure"})
        )

    @property
    def strip(self) -> frozenset[bytes]:
        """Identity header names dropped from client input."""
        return self._strip

    async def http(
        self,
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
        identity: auth.Identity | None,
        identity_headers: RawHeaders,
    ) -> None:
        started = time.perf_counter()
        label, code = NO_ROUTE, 500
        try:
            label, code = await self._serve(scope, receive, send, identity, identity_headers)
        finally:
            if self._meter is not None:
                self._meter.observe(label, code, time.perf_counter() - started)

    async def _serve(
        self,
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
        identity: auth.Identity | None,
        identity_headers: RawHeaders,
    ) -> tuple[str, int]:
        method = scope["method"]
        req = request_view(scope, method)
        hit = self._publisher.current.lookup(req)
        if hit is None:
            message = f"no route for {method} {req.authority}{req.path}"
            await responses.send(send, 404, responses.error_body("not found", message))
            return NO_ROUTE, 404
        route = hit.route
        decision = await self._authorizer.authorize(
            identity, auth.Access(auth.Target.ROUTE, method, req.path, route)
        )
        if not decision.allowed:
            error = "unauthorized" if decision.status == 401 else "forbidden"
            body = responses.error_body(error, decision.reason or "access denied")
            await responses.send(send, decision.status, body)
            return route.label, decision.status
        if route.source.direct_response is not None or route.source.redirect is not None:
            return route.label, await _answer_locally(route.source, req, send)
        target = route.spread.pick()
        if target is None:
            return route.label, await _unavailable(send, route, None)
        endpoint = target.backend.pick()
        backend = target.backend
        if endpoint is None:
            held = await self._holder.hold(route, backend, method=method, path=req.path)
            if held is None:
                return route.label, await _unavailable(send, route, backend)
            backend, endpoint = held, held.pick()
            assert endpoint is not None
        headers = forwarding.upstream_headers(
            scope["headers"],
            client=scope["client"][0] if scope.get("client") else "",
            scheme=req.scheme,
            strip=self._strip,
            identity=identity_headers,
            plan=target.request_headers,
            original_path=req.path if hit.rewritten else None,
            authority=route.authority,
        )
        qs = req.query_string
        upstream = transports.UpstreamRequest(
            method, endpoint, f"{hit.path}?{qs}" if qs else hit.path, headers
        )
        code = await self._exchange(upstream, backend, route, target, scope, receive, send)
        return route.label, code

    async def _exchange(
        self,
        upstream: transports.UpstreamRequest,
        backend: backends.Backend,
        route: tables.Route,
        target: tables.Target,
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
    ) -> int:
        body = bodies.RequestBody(receive, scope["headers"], self._settings.buffer_limit)
        try:
            await body.prepare()
        except bodies.ClientGone:
            return 499
        policy = route.retries or self._default_retries
        loop_time = asyncio.get_running_loop().time
        deadline = loop_time() + route.timeout if route.timeout else None
        attempt = 0
        while True:
            upstream.body = body.payload()
            try_deadline = deadline
            if policy.per_try_timeout:
                per_try = loop_time() + policy.per_try_timeout
                try_deadline = per_try if deadline is None else min(deadline, per_try)
            retriable = attempt < policy.attempts
            try:
                if try_deadline is None:
                    resp = await self._transport.send(upstream)
                else:
                    async with asyncio.timeout_at(try_deadline):
                        resp = await self._transport.send(upstream)
            except TimeoutError:
                if deadline is not None and loop_time() >= deadline:
                    return await _gateway_error(send, 504, route, backend, upstream, "timeout")
                code, failure = 504, "per-try timeout"
                retriable = retriable and bool(policy.retry_on & TIMEOUT_CONDITIONS)
            except errors.ConnectFailure as exc:
                code, failure = 502, f"connect failure: {exc}"
                retriable = retriable and bool(policy.retry_on & CONNECT_CONDITIONS)
            except errors.Reset as exc:
                code, failure = 502, f"connection reset: {exc}"
                retriable = retriable and bool(policy.retry_on & RESET_CONDITIONS)
            except bodies.ClientGone:
                return 499
            else:
                if not (
                    retriable
                    and body.replayable
                    and _retriable_status(resp.status, policy.retry_on)
                ):
                    return await self._respond(resp, target, receive, send)
                resp.close()
                code, failure = resp.status, f"status {resp.status}"
            if not (retriable and body.replayable):
                return await _gateway_error(send, code, route, backend, upstream, failure)
            attempt += 1
            log.debug("retry %d of %s to %s: %s", attempt, route.label, backend.key, failure)
            await self._clock.sleep(0.025 * attempt)
            upstream.endpoint = backend.pick() or upstream.endpoint

    async def _respond(
        self,
        resp: transports.UpstreamResponse,
        target: tables.Target,
        receive: responses.Receive,
        send: responses.Send,
    ) -> int:
        status = resp.status
        try:
            headers = forwarding.downstream_headers(resp.headers, target.response_headers)
            length = resp.content_length
            if length is not None and length <= self._settings.buffer_limit:
                data = await resp.read()
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": data, "more_body": False})
                return status
            await send({"type": "http.response.start", "status": status, "headers": headers})
            pump = asyncio.ensure_future(_pump(resp.chunks(), send))
            gone = asyncio.ensure_future(_until_disconnect(receive))
            await asyncio.wait((pump, gone), return_when=asyncio.FIRST_COMPLETED)
            gone.cancel()
            if not pump.done():
                pump.cancel()
                return 499
            pump.result()
            return status
        except errors.Reset as exc:
            # The response has begun: all that is left is to cut it short.
            log.warning("upstream reset mid-response: %s", exc)
            return status
        finally:
            resp.close()


async def _pump(chunks: AsyncIterator[bytes], send: responses.Send) -> None:
    async for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnect(receive: responses.Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _answer_locally(
    source: routes.HttpRoute, req: matching.RequestView, send: responses.Send
) -> int:
    if source.direct_response is not None:
        direct = source.direct_response
        await responses.send(send, direct.status, direct.body, content_type=b"text/plain")
        return direct.status
    redirect = source.redirect
    assert redirect is not None
    scheme = redirect.scheme or req.scheme
    authority = redirect.authority or req.authority
    path = redirect.uri if redirect.uri is not None else req.path
    location = f"{scheme}://{authority}{path}"
    if req.query_string:
        location += f"?{req.query_string}"
    await responses.send(send, redirect.code, b"", headers=[(b"location", location.encode())])
    return redirect.code


async def _unavailable(
    send: responses.Send, route: tables.Route, backend: backends.Backend | None
) -> int:
    if backend is None:
        message = f"route {route.label} has no destination with weight > 0"
        body = responses.error_body("no healthy upstream", message, route=route.label)
    else:
        message = f"route {route.label}: service {backend.key} {backend.problem}"
        body = responses.error_body(
            "no healthy upstream", message, route=route.label, service=str(backend.key)
        )
    await responses.send(send, 503, body)
    return 503


async def _gateway_error(
    send: responses.Send,
    code: int,
    route: tables.Route,
    backend: backends.Backend,
    upstream: transports.UpstreamRequest,
    failure: str,
) -> int:
    error = "upstream request timeout" if code == 504 else "upstream connect error"
    where = f"{upstream.endpoint.host}:{upstream.endpoint.port}"
    message = f"route {route.label}: service {backend.key} at {where}: {failure}"
    body = responses.error_body(error, message, route=route.label, service=str(backend.key))
    await responses.send(send, code, body)
    return code
