"""The real `tritonclient.http` client against model servers on real ports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from . import models as trained_models
from . import processes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sklearn_dir(tmp_path_factory: pytest.TempPathFactory) -> trained_models.Trained:
    return trained_models.sklearn_model(tmp_path_factory.mktemp("sk"))


@pytest.fixture(scope="module")
def iris_server(sklearn_dir: trained_models.Trained) -> Iterator[processes.Running]:
    with processes.serving(
        ["--model-name", "iris", "--model-dir", str(sklearn_dir.directory)]
    ) as running:
        yield running


@pytest.fixture
def client(iris_server: processes.Running) -> Iterator[triton.InferenceServerClient]:
    client = triton.InferenceServerClient(url=f"127.0.0.1:{iris_server.port}")
    yield client
    client.close()


def test_health_and_metadata(client: triton.InferenceServerClient) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("iris")
    assert not client.is_model_ready("nope")
    server = client.get_server_metadata()
    assert server["name"] == "pinnace"
    assert "binary_tensor_data" in server["extensions"]
    model = client.get_model_metadata("iris")
    assert model["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    assert model["outputs"] == [{"name": "output-0", "datatype": "INT64", "shape": [-1]}]


@pytest.mark.parametrize(
    ("binary_in", "binary_out"),
    [
        pytest.param(True, None, id="binary-default"),
        pytest.param(True, True, id="binary-both"),
        pytest.param(False, False, id="json-both"),
        pytest.param(True, False, id="binary-in-json-out"),
        pytest.param(False, True, id="json-in-binary-out"),
    ],
)
def test_infer(
    client: triton.InferenceServerClient,
    sklearn_dir: trained_models.Trained,
    binary_in: bool,
    binary_out: bool | None,
) -> None:
    features, _ = trained_models.iris()
    rows = features[::5]
    tensor = triton.InferInput("input-0", list(rows.shape), "FP64")
    tensor.set_data_from_numpy(rows, binary_data=binary_in)
    outputs = None if binary_out is None else [triton.InferRequestedOutput("output-0", binary_out)]
    result = client.infer("iris", [tensor], outputs=outputs, request_id="r-7")
    np.testing.assert_array_equal(result.as_numpy("output-0"), sklearn_dir.predict(rows))
    response = result.get_response()
    assert response["id"] == "r-7"
    binary = binary_out is None or binary_out
    assert ("binary_data_size" in response["outputs"][0].get("parameters", {})) == binary


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_compressed_requests_and_responses(
    client: triton.InferenceServerClient, sklearn_dir: trained_models.Trained, algorithm: str
) -> None:
    features = np.tile(trained_models.iris()[0], (2, 1))  # a binary answer of 2,400 bytes
    tensor = triton.InferInput("input-0", list(features.shape), "FP64")
    tensor.set_data_from_numpy(features)
    result = client.infer(
        "iris",
        [tensor],
        request_compression_algorithm=algorithm,
        response_compression_algorithm=algorithm,
    )
    np.testing.assert_array_equal(result.as_numpy("output-0"), sklearn_dir.predict(features))


def test_a_float32_tensor_is_cast(
    client: triton.InferenceServerClient, sklearn_dir: trained_models.Trained
) -> None:
    features, _ = trained_models.iris()
    rows = features[1::9].astype(np.float32)
    tensor = triton.InferInput("input-0", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows)
    result = client.infer("iris", [tensor])
    np.testing.assert_array_equal(result.as_numpy("output-0"), sklearn_dir.predict(rows))


def test_errors_reach_the_client(client: triton.InferenceServerClient) -> None:
    tensor = triton.InferInput("input-0", [1, 3], "FP64")
    tensor.set_data_from_numpy(np.ones((1, 3)))
    with pytest.raises(InferenceServerException, match=r"does not fit the model's \[-1, 4\]"):
        client.infer("iris", [tensor])
    with pytest.raises(InferenceServerException, match="Model with name nope does not exist"):
        client.get_model_metadata("nope")


def test_a_custom_model_with_bytes_outputs(tmp_path: Path) -> None:
    trained = trained_models.sklearn_model(tmp_path)
    classifier: Any = joblib.load(tmp_path / "model.joblib")
    program = Path(__file__).parent / "programs" / "iris_names.py"
    features, _ = trained_models.iris()
    rows = features[::13]
    names = np.array(["setosa", "versicolor", "virginica"])
    expected = names[np.argmax(classifier.predict_proba(rows), axis=1)]
    with processes.serving(
        ["--model_dir", str(trained.directory)], command=[sys.executable, str(program)]
    ) as running:
        client = triton.InferenceServerClient(url=f"127.0.0.1:{running.port}")
        try:
            assert client.is_model_ready("iris-names")
            metadata = client.get_model_metadata("iris-names")
            assert metadata["outputs"] == [{"name": "species", "datatype": "BYTES", "shape": [-1]}]
            for binary in (True, False):
                tensor = triton.InferInput("measurements", list(rows.shape), "FP64")
                tensor.set_data_from_numpy(rows, binary_data=binary)
                result = client.infer(
                    "iris-names", [tensor], outputs=[triton.InferRequestedOutput("species", binary)]
                )
                got = [
                    v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("species")
                ]
                assert got == expected.tolist()
        finally:
            client.close()
        v1 = httpx.post(
            f"{running.url}/v1/models/iris-names:predict",
            json={"instances": rows.tolist()},
            timeout=60,
        )
        assert v1.json() == {"species": expected.tolist()}
