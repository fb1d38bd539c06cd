from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "controllers"))

from pinnace.api import crds, kinds
from pinnace.controllers import builtin, manager
from pinnace.kits.kube import clients, errors
from pinnace.profiles import setup


@pytest.fixture
async def real_kube(tmp_path: Path) -> AsyncIterator[clients.Client]:
    """The embedded API server (real semantics) with the Profile CRD served."""
    from helpers import real_apiserver

    async with real_apiserver(tmp_path) as client:
        crd = next(c for c in crds.all_crds() if c["metadata"]["name"] == "profiles.kubeflow.org")
        await client.create(kinds.CUSTOMRESOURCEDEFINITIONS, crd)
        async with asyncio.timeout(5):
            while not await _served(client):  # noqa: ASYNC110 (polling the API)
                await asyncio.sleep(0.01)
        yield client


async def _served(client: clients.Client) -> bool:
    try:
        await client.list(kinds.PROFILES)
    except errors.NotFound:
        return False
    return True


@pytest.fixture
async def mgr(real_kube: clients.Client) -> AsyncIterator[manager.Manager]:
    """The Profile controller with the namespace controller and the garbage collector."""
    m = manager.Manager(real_kube)
    builtin.setup_namespaces(m)
    builtin.setup_garbage_collector(m)
    setup(m)
    await m.start()
    yield m
    await m.stop()
