from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pinnace.api import kinds
from pinnace.controllers import manager
from pinnace.kits.kube import fakes

Platform = Callable[..., Any]


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    """`await platform(setup, ...)` → (fake, manager) with those controllers started."""
    started: list[manager.Manager] = []

    async def make(*setups: Any, ready_node: bool = True) -> tuple[fakes.FakeKube, manager.Manager]:
        fake = fakes.FakeKube(
            [
                kinds.PODS,
                kinds.NODES,
                kinds.DEPLOYMENTS,
                kinds.STATEFULSETS,
                kinds.SERVICES,
                kinds.ENDPOINTS,
                kinds.NAMESPACES,
                kinds.SERVICEACCOUNTS,
                kinds.CONFIGMAPS,
                kinds.PERSISTENTVOLUMECLAIMS,
                kinds.EVENTS,
            ],
            graceful_pods=False,
        )
        if ready_node:
            await fake.create(kinds.NODES, {"metadata": {"name": "node-1"}})
            await fake.patch(
                kinds.NODES,
                "node-1",
                {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
                subresource="status",
            )
        mgr = manager.Manager(fake)
        for setup in setups:
            setup(mgr)
        await mgr.start()
        started.append(mgr)
        return fake, mgr

    yield make
    for mgr in started:
        await mgr.stop()


@pytest.fixture
async def real_kube(tmp_path: Path) -> AsyncIterator[Any]:
    """The embedded API server (real semantics) and a client for it, with namespace `ns`."""
    from helpers import real_apiserver

    async with real_apiserver(tmp_path) as client:
        await client.create(kinds.NAMESPACES, {"metadata": {"name": "ns"}})
        yield client
