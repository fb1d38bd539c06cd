"""The Notebook controller on the real in-process API server, with the CRDs pinnace installs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.controllers import helpers
from tests.notebooks.support import until

from pinnace.api import crds, kinds
from pinnace.controllers import builtin, manager
from pinnace.kits.kube import clients, errors
from pinnace.notebooks import setup

CRDS = ("notebooks.kubeflow.org", "virtualservices.networking.istio.io")


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[clients.Client]:
    async with helpers.real_apiserver(tmp_path) as client:
        await client.create(kinds.NAMESPACES, {"metadata": {"name": "ns"}})
        for name in CRDS:
            await client.create(kinds.CUSTOMRESOURCEDEFINITIONS, crds.crd(name))

        async def served() -> bool:
            try:
                await client.list(kinds.NOTEBOOKS, namespace="ns")
                await client.list(kinds.VIRTUALSERVICES, namespace="ns")
            except errors.NotFound:
                return False
            return True

        await until(served)
        yield client


@pytest.fixture
async def mgr(kube: clients.Client) -> AsyncIterator[manager.Manager]:
    """The notebook controllers with the StatefulSet controller and the garbage collector."""
    m = manager.Manager(kube)
    setup(m)
    builtin.setup_statefulsets(m)
    builtin.setup_garbage_collector(m)
    await m.start()
    yield m
    await m.stop()
