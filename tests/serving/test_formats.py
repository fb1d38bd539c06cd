"""Each built-in format answers V1 and V2 with the trained model's own predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pinnace.serving import formats

from . import models as trained_models
from .conftest import Client

FORMATS = list(trained_models.TRAINERS)


@pytest.fixture(scope="module", params=FORMATS)
def trained(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return trained_models.TRAINERS[request.param](tmp_path_factory.mktemp(request.param))


def loaded(trained: trained_models.Trained) -> formats.arrays.ArrayModel:
    model = formats.create(formats.Format(trained.format), "m", trained.directory)
    model.load()
    return model


def test_detect_names_the_format(trained: trained_models.Trained) -> None:
    assert formats.detect(trained.directory) == formats.Format(trained.format)


async def test_v2_equals_the_models_own_predict(
    serve: Client, trained: trained_models.Trained
) -> None:
    features, _ = trained_models.iris()
    model = loaded(trained)
    [spec] = model.inputs()
    assert (spec.datatype, spec.shape) == (trained.input_datatype, (-1, 4))
    client = serve(model)
    metadata = (await client.get("/v2/models/m")).json()
    output = metadata["outputs"][0]  # the model's prediction (ONNX: the label; then the rest)
    rows = features[::7].astype(np.float32 if spec.datatype == "FP32" else np.float64)
    body = {
        "inputs": [
            {
                "name": spec.name,
                "datatype": spec.datatype,
                "shape": list(rows.shape),
                "data": rows.tolist(),
            }
        ]
    }
    response = await client.post("/v2/models/m/infer", json=body)
    assert response.status_code == 200, response.text
    [answer] = [o for o in response.json()["outputs"] if o["name"] == output["name"]]
    expected = np.asarray(trained.predict(rows))
    assert answer["datatype"] == output["datatype"]
    assert answer["shape"] == list(expected.shape)
    got = np.asarray(answer["data"], dtype=expected.dtype).reshape(expected.shape)
    np.testing.assert_array_equal(got, expected)


async def test_v1_equals_the_models_own_predict(
    serve: Client, trained: trained_models.Trained
) -> None:
    features, _ = trained_models.iris()
    client = serve(loaded(trained))
    rows = features[3::11]
    if trained.input_datatype == "FP32":
        rows = rows.astype(np.float32)
    response = await client.post("/v1/models/m:predict", json={"instances": rows.tolist()})
    assert response.status_code == 200, response.text
    expected = np.asarray(trained.predict(rows))
    got = np.asarray(response.json()["predictions"], dtype=expected.dtype)
    np.testing.assert_array_equal(got, expected)


def test_a_directory_with_two_model_files_is_refused(tmp_path: Path) -> None:
    trained_models.sklearn_model(tmp_path)
    (tmp_path / "other.joblib").write_bytes((tmp_path / "model.joblib").read_bytes())
    model = formats.create(formats.Format.SKLEARN, "m", tmp_path)
    with pytest.raises(ValueError, match=r"more than one \.joblib model file"):
        model.load()


def test_a_bst_file_needs_a_named_format(tmp_path: Path) -> None:
    (tmp_path / "model.bst").write_bytes(b"")
    with pytest.raises(ValueError, match="xgboost or lightgbm"):
        formats.detect(tmp_path)
