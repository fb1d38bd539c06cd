"""A custom model in KServe's `Model` style: its hooks, what they may return, in process."""

from __future__ import annotations

from typing import Any

import numpy as np

from pinnace.serving import inferences, models

from .conftest import Client


class Scaler(models.Model):
    """Doubles its input; preprocess and postprocess are async, predict is plain."""

    def __init__(self, name: str, answer: str) -> None:
        super().__init__(name)
        self.answer = answer
        self.seen_headers: list[Any] = []

    async def preprocess(self, payload: Any, headers: models.Headers | None = None) -> Any:
        self.seen_headers.append(headers)
        if isinstance(payload, inferences.InferRequest):
            return payload.inputs[0].as_numpy()
        return np.asarray(payload["instances"])

    def predict(self, payload: Any, headers: models.Headers | None = None) -> Any:
        return payload * 2

    async def postprocess(self, result: Any, headers: models.Headers | None = None) -> Any:
        if self.answer == "array":
            return result
        if self.answer == "list":
            return [result, result + 1]
        return inferences.InferResponse(
            model_name=self.name, outputs=[inferences.InferOutput.from_numpy("doubled", result)]
        )


async def test_an_array_is_output_0_in_v2_and_predictions_in_v1(serve: Client) -> None:
    model = Scaler("scaler", "array")
    model.load()
    client = serve(model)
    body = {"inputs": [{"name": "x", "datatype": "INT32", "shape": [3], "data": [1, 2, 3]}]}
    response = await client.post("/v2/models/scaler/infer", json=body, headers={"x-trace": "t1"})
    assert response.json()["outputs"] == [
        {"name": "output-0", "datatype": "INT32", "shape": [3], "data": [2, 4, 6]}
    ]
    assert model.seen_headers[-1]["x-trace"] == "t1"
    v1 = await client.post("/v1/models/scaler:predict", json={"instances": [[1.5], [2.0]]})
    assert v1.json() == {"predictions": [[3.0], [4.0]]}


async def test_a_list_of_arrays_and_an_infer_response(serve: Client) -> None:
    listing, responding = Scaler("listing", "list"), Scaler("responding", "response")
    listing.load()
    responding.load()
    client = serve(listing, responding)
    body = {"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1.0]}]}
    outputs = (await client.post("/v2/models/listing/infer", json=body)).json()["outputs"]
    assert [(o["name"], o["data"]) for o in outputs] == [("output-0", [2.0]), ("output-1", [3.0])]
    outputs = (await client.post("/v2/models/responding/infer", json=body)).json()["outputs"]
    assert [(o["name"], o["data"]) for o in outputs] == [("doubled", [2.0])]
    assert (await client.get("/v1/models")).json() == {"models": ["listing", "responding"]}


async def test_a_model_that_is_not_loaded_is_not_ready(serve: Client) -> None:
    client = serve(Scaler("later", "array"))
    assert (await client.get("/v2/health/ready")).status_code == 503
    assert (await client.get("/v1/models/later")).json() == {"name": "later", "ready": False}
    response = await client.post("/v1/models/later:predict", json={"instances": [1]})
    assert response.status_code == 503


async def test_readiness_turns_off_while_draining(serve: Client) -> None:
    model = Scaler("scaler", "array")
    model.load()
    client = serve(model)
    assert (await client.get("/v2/health/ready")).status_code == 200
    client.app.draining = True  # type: ignore[attr-defined]
    assert (await client.get("/v2/health/ready")).status_code == 503
    assert (await client.get("/v2/models/scaler/ready")).status_code == 503
    assert (await client.get("/v2/health/live")).status_code == 200
    response = await client.post("/v1/models/scaler:predict", json={"instances": [1]})
    assert response.json() == {"predictions": [2]}  # requests still in flight are answered
