"""Adaptive batching: concurrent requests share one predict call and get their own rows."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from pinnace.serving import batching
from pinnace.serving.formats import sklearn as sklearn_format

from .conftest import Client


class Recorder:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, inputs: list[Any]) -> list[Any]:
        self.calls.append(len(inputs[0]))
        return [inputs[0].sum(axis=1), inputs[0] * 2]


async def test_requests_in_flight_together_are_one_batch() -> None:
    recorder = Recorder()
    batcher = batching.Batcher(recorder.predict, batching.Settings(32, 10.0), in_flight=lambda: 3)
    rows = [np.full((n, 2), float(n)) for n in (1, 2, 3)]
    results = await asyncio.gather(*(batcher.submit([r]) for r in rows))
    assert recorder.calls == [6]  # no wait for the 10 s latency: everyone in flight is in
    for row, (sums, doubled) in zip(rows, results, strict=True):
        np.testing.assert_array_equal(sums, row.sum(axis=1))
        np.testing.assert_array_equal(doubled, row * 2)


async def test_a_full_batch_runs_at_once_and_the_rest_waits_for_the_latency() -> None:
    recorder = Recorder()
    batcher = batching.Batcher(recorder.predict, batching.Settings(4, 0.05), in_flight=lambda: 99)
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(batcher.submit([np.ones((1, 2))]) for _ in range(6)))
    assert recorder.calls == [4, 2]
    assert loop.time() - started >= 0.05  # the last two waited for max_latency
    assert all(len(sums) == 1 for sums, _ in results)


async def test_inputs_of_other_shapes_are_predicted_apart() -> None:
    recorder = Recorder()
    batcher = batching.Batcher(recorder.predict, batching.Settings(32, 10.0), in_flight=lambda: 2)
    await asyncio.gather(batcher.submit([np.ones((1, 2))]), batcher.submit([np.ones((2, 3))]))
    assert sorted(recorder.calls) == [1, 2]


async def test_a_model_error_reaches_every_request_of_the_batch() -> None:
    def failing(inputs: list[Any]) -> list[Any]:
        raise RuntimeError("model broke")

    batcher = batching.Batcher(failing, batching.Settings(32, 10.0), in_flight=lambda: 2)
    results = await asyncio.gather(
        batcher.submit([np.ones((1, 2))]),
        batcher.submit([np.ones((1, 2))]),
        return_exceptions=True,
    )
    assert [str(r) for r in results] == ["model broke", "model broke"]


@pytest.mark.parametrize("protocol", ["v1", "v2"])
async def test_the_server_batches_concurrent_requests(
    serve: Client, sklearn_dir: Any, iris: Any, iris_classifier: Any, protocol: str
) -> None:
    model = sklearn_format.SKLearnModel(
        "iris", sklearn_dir, batching_settings=batching.Settings(64, 1.0)
    )
    model.load()
    client = serve(model)
    features, _ = iris
    chunks = [features[i : i + 3] for i in range(0, 24, 3)]

    async def ask(rows: Any) -> list[Any]:
        if protocol == "v1":
            response = await client.post(
                "/v1/models/iris:predict", json={"instances": rows.tolist()}
            )
            return list(response.json()["predictions"])
        body = {
            "inputs": [
                {"name": "x", "datatype": "FP64", "shape": list(rows.shape), "data": rows.tolist()}
            ]
        }
        response = await client.post("/v2/models/iris/infer", json=body)
        return list(response.json()["outputs"][0]["data"])

    answers = await asyncio.gather(*(ask(rows) for rows in chunks))
    for rows, answer in zip(chunks, answers, strict=True):
        assert answer == iris_classifier.predict(rows).tolist()
    text = (await client.get("/metrics")).text
    assert 'pinnace_serving_batch_size_sum{model="iris"} 24.0' in text
    count = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith('pinnace_serving_batch_size_count{model="iris"}')
    )
    assert count < len(chunks)  # fewer predict calls than requests
