"""Fixtures for every test package: `kube`, the real API server in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support import apiservers


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    """The in-process API server (namespace `ns` created) behind the real client."""
    async with apiservers.serve(tmp_path) as running:
        yield running
