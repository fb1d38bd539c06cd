"""Fixtures of the pipelines tests: a real S3 endpoint (SeaweedFS) shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support import objectstores


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with objectstores.seaweedfs(tmp_path_factory.mktemp("weed")) as endpoint:
        yield endpoint


@pytest.fixture
def bucket(seaweedfs: str, request: pytest.FixtureRequest) -> str:
    """A fresh bucket for one test."""
    name = "t-" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    fs = objectstores.filesystem(seaweedfs)
    if not fs.exists(name):
        fs.mkdir(name)
    return name
