"""Every route of the model server's app and its errors, in process, on an sklearn iris model."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import numpy as np
import orjson
import pytest

from pinnace.serving import models

from .conftest import Client


def v2_body(rows: Any, datatype: str = "FP64", name: str = "input-0") -> dict[str, Any]:
    array = np.asarray(rows)
    return {
        "inputs": [
            {"name": name, "datatype": datatype, "shape": list(array.shape), "data": array.tolist()}
        ]
    }


async def test_health_and_server_metadata(serve: Client, sklearn_model: Any) -> None:
    client = serve(sklearn_model)
    assert (await client.get("/")).json() == {"status": "alive"}
    assert (await client.get("/v2/health/live")).status_code == 200
    ready = await client.get("/v2/health/ready")
    assert (ready.status_code, ready.json()) == (200, {"ready": True})
    metadata = (await client.get("/v2")).json()
    assert metadata["name"] == "pinnace"
    assert "binary_tensor_data" in metadata["extensions"]


async def test_model_metadata_describes_the_estimator(serve: Client, sklearn_model: Any) -> None:
    client = serve(sklearn_model)
    response = await client.get("/v2/models/iris")
    assert response.status_code == 200
    assert response.json() == {
        "name": "iris",
        "versions": [],
        "platform": "sklearn",
        "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}],
        "outputs": [{"name": "output-0", "datatype": "INT64", "shape": [-1]}],
    }
    assert (await client.get("/v2/models/iris/ready")).status_code == 200


async def test_v2_infer_equals_predict(
    serve: Client, sklearn_model: Any, iris: Any, iris_classifier: Any
) -> None:
    features, _ = iris
    client = serve(sklearn_model)
    body = v2_body(features[:10])
    body["id"] = "req-1"
    response = await client.post("/v2/models/iris/infer", json=body)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["model_name"] == "iris"
    assert document["id"] == "req-1"
    [output] = document["outputs"]
    assert output["name"] == "output-0"
    assert output["datatype"] == "INT64"
    assert output["shape"] == [10]
    assert output["data"] == iris_classifier.predict(features[:10]).tolist()


async def test_v2_json_without_content_type_is_json(
    serve: Client, sklearn_model: Any, iris: Any, iris_classifier: Any
) -> None:
    features, _ = iris
    client = serve(sklearn_model)
    response = await client.post(
        "/v2/models/iris/infer", content=orjson.dumps(v2_body(features[:3])), headers={}
    )
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == iris_classifier.predict(features[:3]).tolist()


async def test_v2_flat_data_and_other_numeric_datatypes(
    serve: Client, sklearn_model: Any, iris: Any, iris_classifier: Any
) -> None:
    features, _ = iris
    client = serve(sklearn_model)
    rows = features[:4].astype(np.float32)
    body = {
        "inputs": [
            {"name": "x", "datatype": "FP32", "shape": [4, 4], "data": rows.ravel().tolist()}
        ]
    }
    response = await client.post("/v2/models/iris/infer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == iris_classifier.predict(rows).tolist()


async def test_v1_instances_and_inputs(
    serve: Client, sklearn_model: Any, iris: Any, iris_classifier: Any
) -> None:
    features, _ = iris
    client = serve(sklearn_model)
    expected = iris_classifier.predict(features[40:60]).tolist()
    for key in ("instances", "inputs"):
        response = await client.post(
            "/v1/models/iris:predict", json={key: features[40:60].tolist()}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": expected}
    assert (await client.get("/v1/models")).json() == {"models": ["iris"]}
    assert (await client.get("/v1/models/iris")).json() == {"name": "iris", "ready": True}


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        pytest.param("/v2/models/iris/infer", b"{not json", 400, "invalid JSON", id="v2-bad-json"),
        pytest.param("/v2/models/iris/infer", b"[1, 2]", 400, "JSON object", id="v2-not-object"),
        pytest.param(
            "/v2/models/iris/infer", b'{"inputs": []}', 400, "non-empty list", id="v2-no-inputs"
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(v2_body([[1.0, 2.0, 3.0]])),
            400,
            "does not fit the model's [-1, 4]",
            id="v2-wrong-width",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(v2_body([1.0, 2.0, 3.0, 4.0])),
            400,
            "does not fit the model's [-1, 4]",
            id="v2-wrong-rank",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 4], "data": [1.0]}]}
            ),
            400,
            "needs 8 elements, data has 1",
            id="v2-shape-vs-data",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(v2_body([[1.0, 2.0, 3.0, 4.0]], datatype="FP128")),
            400,
            "unsupported datatype 'FP128'",
            id="v2-unknown-datatype",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(v2_body([["a", "b", "c", "d"]], datatype="BYTES")),
            400,
            "datatype BYTES does not fit the model's FP64",
            id="v2-bytes-for-numbers",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": ["a"] * 4}]}
            ),
            400,
            "FP32 data must be numbers",
            id="v2-strings-as-fp32",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps(
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, -4], "data": [1]}]}
            ),
            400,
            "shape must be a list of non-negative integers",
            id="v2-negative-shape",
        ),
        pytest.param(
            "/v2/models/iris/infer",
            orjson.dumps({**v2_body([[1.0, 2.0, 3.0, 4.0]]), "outputs": [{"name": "nope"}]}),
            400,
            "unknown output 'nope'",
            id="v2-unknown-output",
        ),
        pytest.param("/v1/models/iris:predict", b"nope", 400, "invalid JSON", id="v1-bad-json"),
        pytest.param(
            "/v1/models/iris:predict", b'{"rows": []}', 400, '"instances" or "inputs"', id="v1-key"
        ),
        pytest.param(
            "/v1/models/iris:predict",
            b'{"instances": [[1, 2], [3]]}',
            400,
            "instances",
            id="v1-ragged",
        ),
        pytest.param(
            "/v1/models/iris:predict",
            b'{"instances": [1, 2, 3, 4]}',
            400,
            "does not fit the model's [-1, 4]",
            id="v1-one-row-not-nested",
        ),
        pytest.param(
            "/v2/models/nope/infer",
            b"{}",
            404,
            "Model with name nope does not exist.",
            id="v2-unknown-model",
        ),
        pytest.param(
            "/v1/models/nope:predict",
            b"{}",
            404,
            "Model with name nope does not exist.",
            id="v1-unknown-model",
        ),
        pytest.param(
            "/v2/models/iris/versions/7/infer",
            orjson.dumps(v2_body([[1.0, 2.0, 3.0, 4.0]])),
            404,
            "has no version 7",
            id="v2-unknown-version",
        ),
    ],
)
async def test_client_mistakes_are_4xx_with_an_error(
    serve: Client, sklearn_model: Any, path: str, body: bytes, status: int, message: str
) -> None:
    client = serve(sklearn_model)
    response = await client.post(path, content=body)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert message in response.json()["error"]


async def test_unknown_model_metadata_and_routes(serve: Client, sklearn_model: Any) -> None:
    client = serve(sklearn_model)
    for path in ("/v2/models/nope", "/v2/models/nope/ready", "/v1/models/nope"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "Model with name nope does not exist."}
    assert (await client.get("/v3/anything")).status_code == 404
    wrong_method = await client.get("/v2/models/iris/infer")
    assert wrong_method.status_code == 405
    assert "use POST" in wrong_method.json()["error"]


async def test_oversized_body_is_413(serve: Client, sklearn_model: Any) -> None:
    client = serve(sklearn_model, max_request_bytes=1000)
    body = orjson.dumps(v2_body(np.ones((100, 4))))
    assert len(body) > 1000
    response = await client.post("/v2/models/iris/infer", content=body)
    assert response.status_code == 413
    assert "1000-byte limit" in response.json()["error"]

    async def chunks() -> Any:  # no Content-Length: counted while read
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    streamed = await client.post("/v2/models/iris/infer", content=chunks())
    assert streamed.status_code == 413


async def test_versioned_model(serve: Client, sklearn_model: Any) -> None:
    sklearn_model.version = "3"
    client = serve(sklearn_model)
    assert (await client.get("/v2/models/iris/versions/3/ready")).status_code == 200
    assert (await client.get("/v2/models/iris/versions/3")).json()["versions"] == ["3"]
    response = await client.post(
        "/v2/models/iris/versions/3/infer", json=v2_body([[5.1, 3.5, 1.4, 0.2]])
    )
    assert response.status_code == 200
    assert response.json()["model_version"] == "3"


async def test_unload_and_load_through_the_repository(serve: Client, sklearn_model: Any) -> None:
    client = serve(sklearn_model)
    assert (await client.post("/v2/repository/models/iris/unload")).status_code == 200
    assert (await client.get("/v2/models/iris/ready")).status_code == 503
    assert (await client.get("/v2/health/ready")).status_code == 503
    not_ready = await client.post("/v2/models/iris/infer", json=v2_body([[1, 2, 3, 4]]))
    assert not_ready.status_code == 503
    assert not_ready.json() == {"error": "Model with name iris is not ready."}
    index = (await client.post("/v2/repository/index")).json()
    assert index == [{"name": "iris", "state": "UNAVAILABLE"}]
    assert (await client.post("/v2/repository/models/iris/load")).status_code == 200
    assert (await client.get("/v2/models/iris/ready")).status_code == 200
    ok = await client.post("/v2/models/iris/infer", json=v2_body([[1, 2, 3, 4]]))
    assert ok.status_code == 200


async def test_metrics_count_requests_latency_and_batches(
    serve: Client, sklearn_model: Any
) -> None:
    client = serve(sklearn_model)
    await client.post("/v2/models/iris/infer", json=v2_body(np.ones((3, 4))))
    await client.post("/v1/models/iris:predict", json={"instances": [[1, 2, 3, 4]]})
    await client.post("/v1/models/iris:predict", content=b"bad")
    text = (await client.get("/metrics")).text
    assert 'pinnace_serving_requests_total{code="200",model="iris",protocol="v2"} 1.0' in text
    assert 'pinnace_serving_requests_total{code="400",model="iris",protocol="v1"} 1.0' in text
    assert 'pinnace_serving_request_duration_seconds_count{model="iris",protocol="v1"} 2.0' in text
    assert 'pinnace_serving_batch_size_sum{model="iris"} 4.0' in text


class Failing(models.Model):
    def predict(self, payload: Any, headers: models.Headers | None = None) -> Any:
        raise RuntimeError("boom")


async def test_a_model_bug_is_500_with_an_error_body(serve: Client) -> None:
    model = Failing("failing")
    model.load()
    client = serve(model)
    response = await client.post("/v1/models/failing:predict", json={"instances": [1]})
    assert response.status_code == 500
    assert response.json() == {"error": "RuntimeError: boom"}


@pytest.mark.parametrize(
    ("encoding", "wbits"),
    [pytest.param("gzip", 31, id="gzip"), pytest.param("deflate", 15, id="deflate")],
)
async def test_compressed_requests_and_answers(
    serve: Client, sklearn_model: Any, iris: Any, iris_classifier: Any, encoding: str, wbits: int
) -> None:
    features = np.tile(iris[0], (4, 1))
    client = serve(sklearn_model)
    deflater = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = deflater.compress(orjson.dumps(v2_body(features))) + deflater.flush()
    response = await client.post(
        "/v2/models/iris/infer",
        content=body,
        headers={"content-encoding": encoding, "accept-encoding": encoding},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-encoding"] == encoding  # 600 labels pass MIN_SIZE
    assert response.json()["outputs"][0]["data"] == iris_classifier.predict(features).tolist()
    small = await client.post(
        "/v1/models/iris:predict",
        json={"instances": features[:1].tolist()},
        headers={"accept-encoding": encoding},
    )
    assert "content-encoding" not in small.headers  # not worth compressing


async def test_compression_mistakes(serve: Client, sklearn_model: Any) -> None:
    client = serve(sklearn_model, max_request_bytes=10_000)
    unknown = await client.post(
        "/v2/models/iris/infer", content=b"x", headers={"content-encoding": "br"}
    )
    assert unknown.status_code == 415
    assert "unsupported Content-Encoding 'br'" in unknown.json()["error"]
    corrupt = await client.post(
        "/v1/models/iris:predict", content=b"not gzip", headers={"content-encoding": "gzip"}
    )
    assert corrupt.status_code == 400
    assert "cannot be decompressed" in corrupt.json()["error"]
    bomb = gzip.compress(b" " * 100_000)  # about 100 bytes that inflate past the limit
    assert len(bomb) < 10_000
    too_big = await client.post(
        "/v2/models/iris/infer", content=bomb, headers={"content-encoding": "gzip"}
    )
    assert too_big.status_code == 413
