"""Adaptive request batching for array models: many requests, one `predict` call.

`pinnace.serving.formats.arrays.ArrayModel` submits each request's input arrays here
when the model runs with `--max-batch-size`; requests whose inputs agree on dtype and
trailing shape are concatenated along the first (batch) axis, predicted once, and each
gets its own rows of every output back. A batch runs as soon as it holds
`max_batch_size` rows, or when every request in flight for the model is already in it
(nobody else is about to join: no added latency at low load), and at the latest
`max_latency` seconds after its first request. KServe batches only V1 in a Go sidecar;
this batches V1 and V2 alike, in process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pinnace.serving import tensors

Predict = Callable[[list[tensors.Array]], list[tensors.Array]]


@dataclass(frozen=True, slots=True)
class Settings:
    max_batch_size: int = 32
    max_latency: float = 0.005
    """Seconds the first request of a batch may wait for others."""


@dataclass(slots=True)
class _Pending:
    inputs: list[tensors.Array]
    rows: int
    future: asyncio.Future[list[tensors.Array]]


class Batcher:
    def __init__(
        self,
        predict: Predict,
        settings: Settings,
        *,
        in_flight: Callable[[], int],
        observe: Callable[[int], None] | None = None,
    ) -> None:
        self._predict = predict
        self._settings = settings
        self._in_flight = in_flight
        self._observe = observe
        self._pending: list[_Pending] = []
        self._rows = 0
        self._timer: asyncio.TimerHandle | None = None
        self._soon: asyncio.Handle | None = None

    async def submit(self, inputs: list[tensors.Array]) -> list[tensors.Array]:
        loop = asyncio.get_running_loop()
        rows = int(inputs[0].shape[0]) if inputs and inputs[0].ndim else 1
        future: asyncio.Future[list[tensors.Array]] = loop.create_future()
        self._pending.append(_Pending(inputs, rows, future))
        self._rows += rows
        if self._rows >= self._settings.max_batch_size:
            self._flush()
        elif len(self._pending) >= self._in_flight():
            if self._soon is None:
                self._soon = loop.call_soon(self._flush_if_complete)
        elif self._timer is None:
            self._timer = loop.call_later(self._settings.max_latency, self._flush)
        return await future

    def _flush_if_complete(self) -> None:
        self._soon = None
        if self._pending and len(self._pending) >= self._in_flight():
            self._flush()
        elif self._pending and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                self._settings.max_latency, self._flush
            )

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending, self._rows = self._pending, [], 0
        groups: dict[tuple[Any, ...], list[_Pending]] = {}
        for item in pending:
            key = tuple((a.dtype.str, a.shape[1:]) for a in item.inputs)
            groups.setdefault(key, []).append(item)
        for group in groups.values():
            self._run(group)

    def _run(self, group: list[_Pending]) -> None:
        live = [item for item in group if not item.future.done()]
        if not live:
            return
        try:
            if len(live) == 1:
                outputs = [self._predict(live[0].inputs)]
            else:
                joined = [
                    np.concatenate([item.inputs[i] for item in live])
                    for i in range(len(live[0].inputs))
                ]
                outputs = _split(self._predict(joined), [item.rows for item in live])
        except Exception as exc:  # every request of the batch gets the model's error
            for item in live:
                item.future.set_exception(exc)
            return
        if self._observe is not None:
            self._observe(sum(item.rows for item in live))
        for item, result in zip(live, outputs, strict=True):
            item.future.set_result(result)


def _split(outputs: list[tensors.Array], rows: list[int]) -> list[list[tensors.Array]]:
    total = sum(rows)
    for output in outputs:
        if not output.ndim or output.shape[0] != total:
            raise RuntimeError(
                f"a batched output of shape {list(output.shape)} is not {total} rows long"
            )
    bounds = np.cumsum(rows)[:-1]
    per_output = [np.split(output, bounds) for output in outputs]
    return [list(parts) for parts in zip(*per_output, strict=True)]
