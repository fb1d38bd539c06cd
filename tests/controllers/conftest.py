from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import manager

Platform = Callable[..., Any]


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[Platform]:
    """`await platform(setup, ...)` → (kube, manager): the real API server in process, namespace
    `ns` and a Ready node `node-1` created, those controllers started."""
    stack = contextlib.AsyncExitStack()

    async def make(
        *setups: Any, ready_node: bool = True
    ) -> tuple[apiservers.Kube, manager.Manager]:
        kube = await stack.enter_async_context(apiservers.serve(tmp_path))
        if ready_node:
            await kube.create(kinds.NODES, {"metadata": {"name": "node-1"}})
            await kube.patch(
                kinds.NODES,
                "node-1",
                {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
                subresource="status",
            )
        mgr = manager.Manager(kube)
        for setup in setups:
            setup(mgr)
        await mgr.start()
        stack.push_async_callback(mgr.stop)
        return kube, mgr

    async with stack:
        yield make
