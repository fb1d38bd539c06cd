from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .clusters import Cluster


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    c = Cluster(tmp_path / "data")
    yield c
    if c.node is not None:
        await c.node.stop()
