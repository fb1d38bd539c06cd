"""KServe's webhook checks at admission: a bad InferenceService is a 422 naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors
from pinnace.serving import admitting


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    async with apiservers.serve(
        tmp_path,
        crd_names=("inferenceservices.serving.kserve.io",),
        validators=admitting.VALIDATORS,
    ) as running:
        yield running


def isvc(name: str = "iris", **predictor: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {
            "predictor": predictor
            or {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://b/m"}}
        },
    }


MODEL = {"modelFormat": {"name": "sklearn"}, "storageUri": "file:///m"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        pytest.param(isvc("Iris_1"), "metadata.name", "lower case", id="name"),
        pytest.param(
            isvc(model=MODEL, sklearn={"storageUri": "file:///m"}),
            "spec.predictor",
            "found: model, sklearn",
            id="two-forms",
        ),
        pytest.param(isvc(minReplicas=1), "spec.predictor", "found: none", id="no-model"),
        pytest.param(
            isvc(model=MODEL, minReplicas=3, maxReplicas=2),
            "spec.predictor.minReplicas",
            "cannot be greater than maxReplicas",
            id="min-over-max",
        ),
        pytest.param(
            isvc(model={**MODEL, "storageUri": "ftp://host/m"}),
            "spec.predictor.model.storageUri",
            "is not supported",
            id="scheme",
        ),
    ],
)
async def test_refused_with_the_field(
    kube: clients.Client, body: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(errors.ApiError) as caught:
        await kube.create(kinds.INFERENCESERVICES, body)
    assert caught.value.code == 422
    causes = caught.value.status["details"]["causes"]
    assert [c["field"] for c in causes] == [field]
    assert words in causes[0]["message"]
    assert (await kube.list(kinds.INFERENCESERVICES, namespace="ns")).items == []


async def test_good_ones_pass_and_an_edit_is_judged_too(kube: clients.Client) -> None:
    await kube.create(kinds.INFERENCESERVICES, isvc())
    await kube.create(kinds.INFERENCESERVICES, isvc("legacy", sklearn={"storageUri": "/local/m"}))
    with pytest.raises(errors.ApiError) as caught:
        await kube.patch(
            kinds.INFERENCESERVICES,
            "iris",
            {"spec": {"predictor": {"minReplicas": 5, "maxReplicas": 1}}},
            namespace="ns",
        )
    assert caught.value.code == 422
