"""The model server's ASGI app: KServe's V1 and the Open Inference Protocol V2 over REST.

`pinnace.serving.server` serves it with uvicorn; tests call it in process. A plain
ASGI callable with its own small router (no framework per request: this is the hot
path). Routes:

    GET  /                                     {"status": "alive"}
    GET  /v2/health/live | /v2/health/ready    200, or 503 while not ready / draining
    GET  /v2                                   server metadata
    GET  /v2/models/{m}[/versions/{v}]         model metadata (inputs, outputs)
    GET  /v2/models/{m}[/versions/{v}]/ready   200, or 503 while the model is not ready
    POST /v2/models/{m}[/versions/{v}]/infer   `pinnace.serving.v2` bodies
    POST /v2/repository/index                  the models and their states
    POST /v2/repository/models/{m}/load|unload (re)load or unload a model
    GET  /v1/models | /v1/models/{m}           KServe V1 listing and status
    POST /v1/models/{m}:predict                `{"instances"|"inputs": ...}` → `{"predictions": ...}`
    GET  /metrics                              Prometheus text (`pinnace.serving.metrics`)

Every error is `{"error": "<message>"}` with the status of its `pinnace.serving.errors`
class; an exception that is not one is logged and answers 500. A body past
`max_request_bytes` answers 413 before it is read. Infer bodies may come gzip- or
deflate-encoded and answers go out compressed when the client accepts it
(`pinnace.serving.compressing`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import numpy as np
import orjson

from pinnace.serving import compressing, errors, inferences, inferring, models, v2

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = b"application/json"
SERVER_NAME = "pinnace"
SERVER_VERSION = "0.1.0"
EXTENSIONS = ("binary_tensor_data", "model_repository")
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024


class App:
    def __init__(
        self,
        models_: Iterable[models.Model],
        *,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        from pinnace.serving import metrics  # prometheus-client: only in a server process

        self.models: dict[str, models.Model] = {m.name: m for m in models_}
        self.max_request_bytes = max_request_bytes
        self.metrics = metrics.Metrics()
        self.draining = False
        """Set when the server is told to stop: readiness turns 503 while requests drain."""
        for model in self.models.values():
            model.on_batch = functools.partial(self.metrics.observe_batch, model.name)

    def ready(self) -> bool:
        return (
            not self.draining and bool(self.models) and all(m.ready for m in self.models.values())
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        parts = scope["path"].strip("/").split("/")
        try:
            if parts[0] == "v2":
                await self._v2(method, parts, scope, receive, send)
            elif parts[0] == "v1":
                await self._v1(method, parts, scope, receive, send)
            elif parts == [""]:
                _allow(method, "GET")
                await _json(send, 200, {"status": "alive"})
            elif parts == ["metrics"]:
                _allow(method, "GET")
                body, content_type = self.metrics.render()
                await _send(send, 200, body, [(b"content-type", content_type)])
            else:
                raise errors.ModelNotFound(f"no route for {scope['path']}")
        except errors.ServingError as exc:
            await _error(send, exc.status, exc.message)
        except Exception as exc:
            log.exception("%s %s failed", method, scope["path"])
            await _error(send, 500, f"{type(exc).__name__}: {exc}")

    # -- V2 ------------------------------------------------------------------------------

    async def _v2(
        self, method: str, parts: list[str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        count = len(parts)
        if count >= 3 and parts[1] == "models":
            model = self._model(parts[2])
            rest = parts[3:]
            if len(rest) >= 2 and rest[0] == "versions":
                if model.version is None or rest[1] != model.version:
                    raise errors.ModelNotFound(
                        f"Model with name {model.name} has no version {rest[1]}."
                    )
                rest = rest[2:]
            if rest == ["infer"]:
                _allow(method, "POST")
                await self._infer_v2(model, scope, receive, send)
            elif not rest:
                _allow(method, "GET")
                await _json(send, 200, model.metadata())
            elif rest == ["ready"]:
                _allow(method, "GET")
                status = 200 if model.ready and not self.draining else 503
                await _json(send, status, {"name": model.name, "ready": status == 200})
            else:
                raise errors.ModelNotFound(f"no route for {scope['path']}")
        elif count == 1:
            _allow(method, "GET")
            await _json(
                send,
                200,
                {"name": SERVER_NAME, "version": SERVER_VERSION, "extensions": list(EXTENSIONS)},
            )
        elif count == 3 and parts[1] == "health" and parts[2] in ("live", "ready"):
            _allow(method, "GET")
            if parts[2] == "live":
                await _json(send, 200, {"live": True})
            else:
                ready = self.ready()
                await _json(send, 200 if ready else 503, {"ready": ready})
        elif count >= 3 and parts[1] == "repository":
            _allow(method, "POST")
            await self._repository(parts[2:], scope, send)
        else:
            raise errors.ModelNotFound(f"no route for {scope['path']}")

    async def _infer_v2(
        self, model: models.Model, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        status = 500
        model.in_flight += 1
        try:
            self._check_ready(model)
            headers = _headers(scope)
            body = await self._body(scope, receive, headers)
            request = v2.decode(model.name, body, headers.get(v2.HEADER_LENGTH.decode()))
            response = await inferring.infer_v2(model, request, headers)
            payload, extra = v2.encode(response, request)
            payload = _compressed(payload, headers, extra)
            status = 200
        except errors.ServingError as exc:
            status = exc.status
            raise
        finally:
            model.in_flight -= 1
            self.metrics.observe(model.name, "v2", status, time.perf_counter() - started)
        await _send(send, 200, payload, extra)

    async def _repository(self, rest: list[str], scope: Scope, send: Send) -> None:
        if rest == ["index"]:
            await _json(
                send,
                200,
                [
                    {
                        "name": m.name,
                        **({"version": m.version} if m.version is not None else {}),
                        "state": "READY" if m.ready else "UNAVAILABLE",
                    }
                    for m in self.models.values()
                ],
            )
            return
        if len(rest) != 3 or rest[0] != "models" or rest[2] not in ("load", "unload"):
            raise errors.ModelNotFound(f"no route for {scope['path']}")
        model = self._model(rest[1])
        if rest[2] == "unload":
            model.ready = False
        elif not model.ready:
            try:
                model.load()
            except Exception as exc:
                raise errors.ModelNotReady(f"Model {model.name} failed to load: {exc}") from exc
        await _json(
            send, 200, {"name": model.name, "load" if rest[2] == "load" else "unload": True}
        )

    # -- V1 ------------------------------------------------------------------------------

    async def _v1(
        self, method: str, parts: list[str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        if len(parts) == 2 and parts[1] == "models":
            _allow(method, "GET")
            await _json(send, 200, {"models": list(self.models)})
            return
        if len(parts) != 3 or parts[1] != "models":
            raise errors.ModelNotFound(f"no route for {scope['path']}")
        name, _, verb = parts[2].rpartition(":")
        if verb == "predict" and name:
            _allow(method, "POST")
            await self._predict_v1(self._model(name), scope, receive, send)
        elif verb == "explain" and name:
            self._model(name)
            raise errors.ModelNotFound(f"Model {name} has no explainer.")
        else:
            _allow(method, "GET")
            model = self._model(parts[2])
            await _json(send, 200, {"name": model.name, "ready": model.ready})

    async def _predict_v1(
        self, model: models.Model, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        status = 500
        model.in_flight += 1
        try:
            self._check_ready(model)
            headers = _headers(scope)
            body = await self._body(scope, receive, headers)
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise errors.InvalidInput(f"invalid JSON in the request body: {exc}") from None
            if not isinstance(document, dict):
                raise errors.InvalidInput("the request body must be a JSON object")
            result = await inferring.infer_v1(model, document, headers)
            extra = [(b"content-type", JSON)]
            payload = _compressed(_dumps(result), headers, extra)
            status = 200
        except errors.ServingError as exc:
            status = exc.status
            raise
        finally:
            model.in_flight -= 1
            self.metrics.observe(model.name, "v1", status, time.perf_counter() - started)
        await _send(send, 200, payload, extra)

    # -- shared --------------------------------------------------------------------------

    async def _body(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> bytes:
        body = await _read_body(scope, receive, self.max_request_bytes)
        encoding = headers.get("content-encoding")
        if encoding is None:
            return body
        return compressing.decompress(body, encoding, self.max_request_bytes)

    def _model(self, name: str) -> models.Model:
        model = self.models.get(name)
        if model is None:
            raise errors.ModelNotFound(f"Model with name {name} does not exist.")
        return model

    def _check_ready(self, model: models.Model) -> None:
        if not model.ready:
            raise errors.ModelNotReady(f"Model with name {model.name} is not ready.")


def _compressed(body: bytes, headers: dict[str, str], extra: list[tuple[bytes, bytes]]) -> bytes:
    """The body compressed as the client accepts (adding Content-Encoding), when worth it."""
    if len(body) < compressing.MIN_SIZE:
        return body
    encoding = compressing.choose(headers.get("accept-encoding"))
    if encoding is None:
        return body
    extra.append((b"content-encoding", encoding.encode()))
    return compressing.compress(body, encoding)


def _allow(method: str, allowed: str) -> None:
    if method != allowed:
        raise errors.MethodNotAllowed(f"method {method} not allowed; use {allowed}")


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise errors.InvalidInput("Content-Length must be an integer") from None
            if declared > limit:
                raise errors.PayloadTooLarge(
                    f"request body of {declared} bytes exceeds the {limit}-byte limit"
                )
            break
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise errors.InvalidInput("the client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise errors.PayloadTooLarge(f"request body exceeds the {limit}-byte limit")
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, inferences.InferOutput):
        return value.data.tolist()
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def _dumps(document: Any) -> bytes:
    try:
        return orjson.dumps(document, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError as exc:
        raise errors.ServingError(f"the model's result is not JSON: {exc}") from exc


async def _json(send: Send, status: int, document: Any) -> None:
    await _send(send, status, _dumps(document), [(b"content-type", JSON)])


async def _error(send: Send, status: int, message: str) -> None:
    await _send(send, status, orjson.dumps({"error": message}), [(b"content-type", JSON)])


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
