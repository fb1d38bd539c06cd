"""The KFP REST API app: `/apis/v2beta1/...` as kfp.Client 2.x calls it, over Kubernetes objects.

The gateway mounts it under `/pipeline` (`Gateway(mounts=...)`, wired by the
CLI), so `kfp.Client(host="http://127.0.0.1:8080/pipeline")` reaches it
through the one entry with the gateway's authenticated identity. It is a pure
translation facade (docs/design/kfp-api.md): every call becomes Kubernetes
API calls made as the caller (contexts.py), so the API server's RBAC decides
and the app runs unchanged beside a real cluster.

`ROUTERS` lists each resource module's `routes(ctx)`: healthz, experiments,
pipelines (and versions), runs, recurring runs. The KFP artifacts endpoints
join here as one more entry (`artifacts.routes`, written by its own module).
Failures answer KFP's `{code, message, details}` (responding.py); a path KFP
has but this app does not serve is a 404 in the same shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from starlette import applications, requests, responses, routing, types
from starlette import exceptions as starlette_exceptions

from pinnace.api import kinds
from pinnace.kits import clocks
from pinnace.kits.kube import clients
from pinnace.kits.kube import errors as kube_errors
from pinnace.pipelines.restapi import (
    contexts,
    errors,
    experiments,
    pipelines,
    recurringruns,
    responding,
    runs,
)

Router = Callable[[contexts.Context], list[routing.BaseRoute]]


async def healthz(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    """`GET /apis/v2beta1/healthz`: `multi_user` false keeps kfp.Client off the pod's
    namespace file; objects live in the Kubernetes API (`pipeline_store`)."""
    return {"multi_user": False, "pipeline_store": "kubernetes", "tag_name": "pinnace"}


def health_routes(ctx: contexts.Context) -> list[routing.BaseRoute]:
    return [responding.route(ctx, "/apis/v2beta1/healthz", healthz, "GET")]


ROUTERS: tuple[Router, ...] = (
    health_routes,
    experiments.routes,
    pipelines.routes,
    runs.routes,
    recurringruns.routes,
)
"""Every resource's routes, in order. The artifacts helper adds its module's `routes` here."""


async def _kfp_error(request: requests.Request, exc: Exception) -> responses.Response:
    return responding.error_response(exc)


async def _http_error(request: requests.Request, exc: Exception) -> responses.Response:
    """Starlette's 404 (no route) and 405 (a route, another method) in KFP's body."""
    status = exc.status_code if isinstance(exc, starlette_exceptions.HTTPException) else 404
    what = "method not served" if status == 405 else "no such KFP API route"
    error = errors.NotFound(f"{request.method} {request.url.path}: {what}")
    return responding.JSON(error.body(), status_code=status)


class KfpApi:
    """The ASGI app `build` returns; `start` prepares the default namespace."""

    def __init__(
        self,
        platform: clients.Client,
        settings: contexts.Settings,
        *,
        routers: Sequence[Router] = ROUTERS,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.context = contexts.Context(platform, settings, clock=clock)
        routes = [route for router in routers for route in router(self.context)]
        self._app = applications.Starlette(
            routes=routes,
            exception_handlers={
                errors.KfpError: _kfp_error,
                starlette_exceptions.HTTPException: _http_error,
                Exception: _kfp_error,
            },
        )

    async def start(self) -> None:
        """Create the default namespace (KFP's own, as its manifests do), as the platform."""
        name = self.context.settings.default_namespace
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        with contextlib.suppress(kube_errors.AlreadyExists):
            await self.context.platform.create(kinds.NAMESPACES, body)

    async def __call__(self, scope: types.Scope, receive: types.Receive, send: types.Send) -> None:
        if scope["type"] == "lifespan":
            return  # the CLI starts and stops the app; the gateway forwards no lifespan
        await self._app(scope, receive, send)


def build(
    platform: clients.Client,
    settings: contexts.Settings | None = None,
    *,
    routers: Sequence[Router] = ROUTERS,
    clock: clocks.Clock = clocks.SYSTEM,
) -> KfpApi:
    return KfpApi(platform, settings or contexts.Settings(), routers=routers, clock=clock)
