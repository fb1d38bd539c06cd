"""The gateway's ASGI app: the platform's single entry (Istio's ingress gateway role).

The CLI builds it with `build(settings, kube_api=..., client=..., ready=...)`
and serves it with uvicorn on one port. Per request:

- `/healthz` → 200 `ok` when `ready()` is true, else 503;
- `Settings.metrics_path` (`/metrics`) → Prometheus text of the proxy's metrics;
- `/api`, `/apis`, `/version`, `/openapi` (and below) → authenticate, authorize
  (401/403 as a Kubernetes Status), then the in-process Kubernetes API app,
  HTTP and WebSocket alike, with the identity headers set by the gateway;
- a prefix of `mounts` (`/pipeline` → the KFP REST API) → authenticate, authorize
  (`auth.Target.MOUNT`), then that app with `root_path` set to the prefix (`path`
  stays whole, as Starlette's `Mount` does) and the identity headers set;
- everything else → authenticate, then `proxying.Proxy` (HTTP) or
  `websockets.WebSocketProxy` (WebSocket) along the VirtualService routes.

Lifespan: on startup (or `await gateway.start()`) the routing-table watcher
starts when a client was given; on shutdown (`await gateway.aclose()`) the
watcher and the upstream connection pool stop. The Kubernetes API app's own
lifespan is the CLI's business (the gateway does not forward it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from pinnace.gateway import (
    activating,
    auth,
    metrics,
    pooling,
    proxying,
    publishing,
    responses,
    transports,
    watching,
    websockets,
)
from pinnace.gateway.settings import Settings
from pinnace.kits import clocks
from pinnace.kits.kube import clients

log = logging.getLogger(__name__)

UVICORN_OPTIONS: dict[str, object] = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "auto",
    "lifespan": "on",
    "proxy_headers": False,
    "server_header": False,
    "date_header": False,
    "access_log": False,
}
"""How the CLI should configure uvicorn for the gateway (`uvicorn.Config(app, host=..., port=...,
**UVICORN_OPTIONS)`). `proxy_headers=False` matters: the gateway is the edge, so uvicorn must
not take the client address or scheme from a client's own X-Forwarded-* headers (it trusts them
from 127.0.0.1 by default, which every local client is). `ws="auto"` picks the sans-I/O
websockets implementation, which supports the `websocket.http.response` extension that lets a
refused upgrade carry its real status. uvicorn's `server` and `date` headers are left out, as
uvicorn would add them beside the upstream's own (the gateway dates its own answers)."""

ASGIApp = Callable[[responses.Scope, responses.Receive, responses.Send], Awaitable[None]]
KUBE_PREFIXES = frozenset({"api", "apis", "version", "openapi"})


def mounted(mounts: Mapping[str, ASGIApp], path: str) -> tuple[str, ASGIApp] | None:
    """The mount whose prefix `path` is, or is under (`/pipeline`, `/pipeline/apis/...`)."""
    for prefix, app in mounts.items():
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, app
    return None


def is_kube_path(path: str) -> bool:
    """Whether a path belongs to the Kubernetes API (`/api`, `/apis/...`, `/version`, ...)."""
    return path.split("/", 2)[1] in KUBE_PREFIXES if path.startswith("/") else False


def default_transport(settings: Settings) -> transports.Transport:
    """The upstream client `Settings.transport` names (WebSockets always use aiohttp)."""
    aio = transports.AiohttpTransport(
        connect_timeout=settings.connect_timeout,
        keepalive=settings.upstream_keepalive,
        max_connections=settings.max_connections,
    )
    if settings.transport == "aiohttp":
        return aio
    if settings.transport != "pooled":
        raise ValueError(f"unknown gateway transport {settings.transport!r}")
    return pooling.PooledTransport(
        connect_timeout=settings.connect_timeout,
        keepalive=settings.upstream_keepalive,
        websockets=aio,
    )


class Gateway:
    """The ASGI app `build` returns; also exposes its parts for the CLI and for tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        kube_api: ASGIApp,
        client: clients.KubeApi | None,
        ready: Callable[[], bool],
        transport: transports.Transport | None = None,
        authenticator: auth.Authenticator | None = None,
        authorizer: auth.Authorizer | None = None,
        activator: activating.Activator | None = None,
        mounts: Mapping[str, ASGIApp] | None = None,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.settings = settings
        self.mounts = {p.rstrip("/"): a for p, a in (mounts or {}).items()}
        self._kube_api = kube_api
        self._ready = ready
        self.publisher = publishing.Publisher()
        self.transport = transport or default_transport(settings)
        self.authenticator = authenticator or auth.AdminToken(
            settings.admin_token, trust_loopback=settings.trust_loopback, user=settings.admin_user
        )
        self.authorizer = authorizer or auth.DefaultPolicy()
        self.metrics = metrics.Metrics() if settings.metrics_path else None
        holder = activating.Holder(
            self.publisher,
            activator or activating.NoActivation(),
            max_hold=settings.activation_timeout,
            clock=clock,
        )
        self.proxy = proxying.Proxy(
            settings,
            publisher=self.publisher,
            transport=self.transport,
            authorizer=self.authorizer,
            holder=holder,
            meter=self.metrics,
            clock=clock,
        )
        self.websockets = websockets.WebSocketProxy(
            publisher=self.publisher,
            transport=self.transport,
            authorizer=self.authorizer,
            holder=holder,
            strip=self.proxy.strip,
        )
        self.watcher = (
            watching.Watcher(client, self.publisher, settings, clock=clock)
            if client is not None
            else None
        )
        self._user_header = settings.userid_header.lower().encode()
        self._groups_header = settings.groups_header.lower().encode()

    async def start(self) -> None:
        """Start following VirtualServices, Services and Endpoints (idempotent)."""
        if self.watcher is not None:
            await self.watcher.start()

    async def aclose(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()
        await self.transport.aclose()

    async def __call__(
        self, scope: responses.Scope, receive: responses.Receive, send: responses.Send
    ) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        if kind == "http":
            if path == "/healthz":
                ok = self._ready()
                await responses.send(
                    send,
                    200 if ok else 503,
                    b"ok" if ok else b"not ready",
                    content_type=b"text/plain; charset=utf-8",
                )
                return
            if self.metrics is not None and path == self.settings.metrics_path:
                body, content_type = self.metrics.render()
                await responses.send(send, 200, body, content_type=content_type)
                return
        identity = await self.authenticator.authenticate(scope)
        headers = auth.identity_headers(
            identity,
            user_header=self._user_header,
            groups_header=self._groups_header,
            prefix=self.settings.userid_prefix,
        )
        if is_kube_path(path):
            await self._kube(scope, receive, send, identity, headers)
        elif (mount := mounted(self.mounts, path)) is not None:
            await self._mounted(mount, scope, receive, send, identity, headers)
        elif kind == "http":
            await self.proxy.http(scope, receive, send, identity, headers)
        elif kind == "websocket":
            await self.websockets.websocket(scope, receive, send, identity, headers)

    async def _mounted(
        self,
        mount: tuple[str, ASGIApp],
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
        identity: auth.Identity | None,
        identity_headers: list[tuple[bytes, bytes]],
    ) -> None:
        prefix, app = mount
        if not await self._allowed(auth.Target.MOUNT, scope, receive, send, identity):
            return
        strip = self.proxy.strip
        headers = [h for h in scope["headers"] if h[0] not in strip]
        headers.extend(identity_headers)
        root_path = str(scope.get("root_path") or "") + prefix
        await app({**scope, "headers": headers, "root_path": root_path}, receive, send)

    async def _allowed(
        self,
        target: auth.Target,
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
        identity: auth.Identity | None,
    ) -> bool:
        """Ask the authorizer; on a refusal answer 401/403 as a Kubernetes Status."""
        method = scope.get("method", "GET")
        access = auth.Access(target, method, scope["path"])
        decision = await self.authorizer.authorize(identity, access)
        if not decision.allowed:
            reason = "Unauthorized" if decision.status == 401 else "Forbidden"
            body = responses.status_body(decision.status, reason, decision.reason or reason)
            if scope["type"] == "websocket":
                await receive()
                await responses.refuse_websocket(scope, send, decision.status, body)
            else:
                await responses.send(send, decision.status, body)
            return False
        return True

    async def _kube(
        self,
        scope: responses.Scope,
        receive: responses.Receive,
        send: responses.Send,
        identity: auth.Identity | None,
        identity_headers: list[tuple[bytes, bytes]],
    ) -> None:
        if not await self._allowed(auth.Target.KUBERNETES_API, scope, receive, send, identity):
            return
        strip = self.proxy.strip
        headers = [h for h in scope["headers"] if h[0] not in strip]
        headers.extend(identity_headers)
        await self._kube_api({**scope, "headers": headers}, receive, send)

    async def _lifespan(self, receive: responses.Receive, send: responses.Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as exc:
                    log.exception("gateway failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build(
    settings: Settings,
    *,
    kube_api: ASGIApp,
    client: clients.KubeApi | None,
    ready: Callable[[], bool],
    transport: transports.Transport | None = None,
    authenticator: auth.Authenticator | None = None,
    authorizer: auth.Authorizer | None = None,
    activator: activating.Activator | None = None,
    mounts: Mapping[str, ASGIApp] | None = None,
    clock: clocks.Clock = clocks.SYSTEM,
) -> Gateway:
    """The gateway app; the CLI passes the first four, the rest are seams with defaults."""
    return Gateway(
        settings,
        kube_api=kube_api,
        client=client,
        ready=ready,
        transport=transport,
        authenticator=authenticator,
        authorizer=authorizer,
        activator=activator,
        mounts=mounts,
        clock=clock,
    )
