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
    """`<bucket>/<prefix>` of this test's own: s3://{bucket}/... and fs paths both work.

    One real bucket for the session: each SeaweedFS bucket is a collection that takes
    volumes of its own, and `weed server` has few, so new buckets soon fail to write.
    """
    fs = objectstores.filesystem(seaweedfs)
    if not fs.exists("tests"):
        fs.mkdir("tests")
    return "tests/" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
