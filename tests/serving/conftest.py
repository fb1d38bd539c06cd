"""Small models made here (iris from scikit-learn's bundled data; no downloads) and an
in-process client for the model server's ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from pinnace.serving import app, models
from pinnace.serving.formats import sklearn as sklearn_format


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    data = load_iris()
    return data.data, data.target


@pytest.fixture(scope="session")
def iris_classifier(iris: tuple[Any, Any]) -> LogisticRegression:
    features, target = iris
    return LogisticRegression(max_iter=1000).fit(features, target)


@pytest.fixture(scope="session")
def sklearn_dir(tmp_path_factory: pytest.TempPathFactory, iris_classifier: Any) -> Path:
    directory = tmp_path_factory.mktemp("sklearn")
    joblib.dump(iris_classifier, directory / "model.joblib")
    return directory


@pytest.fixture
def sklearn_model(sklearn_dir: Path) -> sklearn_format.SKLearnModel:
    model = sklearn_format.SKLearnModel("iris", sklearn_dir)
    model.load()
    return model


Client = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """`serve(model, ..., max_request_bytes=...)` → an httpx client on the app, in process."""
    clients: list[httpx.AsyncClient] = []

    def build(*served: models.Model, **options: Any) -> httpx.AsyncClient:
        application = app.App(served, **options)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://model"
        )
        client.app = application  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()
