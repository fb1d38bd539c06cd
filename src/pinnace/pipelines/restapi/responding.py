"""Handlers → Starlette routes that answer JSON, and KFP's error body for every failure.

A handler is `async (Context, Request) -> dict`; `route` binds one to a path
and method. `error_response` is what the app's exception handlers send: a
`errors.KfpError` as `{code, message, details}` with its HTTP status, and
anything unexpected as KFP's INTERNAL (500), logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette import requests, responses, routing

from pinnace.pipelines.restapi import contexts, errors

log = logging.getLogger(__name__)

Handler = Callable[[contexts.Context, requests.Request], Awaitable[dict[str, Any]]]


class JSON(responses.Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def route(ctx: contexts.Context, path: str, handler: Handler, method: str) -> routing.Route:
    async def endpoint(request: requests.Request) -> responses.Response:
        return JSON(await handler(ctx, request))

    return routing.Route(path, endpoint, methods=[method], name=f"{method} {path}")


def error_response(exc: Exception) -> responses.Response:
    if isinstance(exc, errors.KfpError):
        return JSON(exc.body(), status_code=exc.http_status)
    log.exception("KFP API call failed", exc_info=exc)
    return JSON(errors.KfpError(f"internal error: {exc!r}").body(), status_code=500)
