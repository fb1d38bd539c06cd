from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support import apiservers

from .clusters import Cluster


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with apiservers.serve(tmp_path / "api", namespaces=()) as api:
        c = Cluster(api, tmp_path / "data")
        yield c
        if c.node is not None:
            await c.node.stop()
