"""The Notebook controller on the real in-process API server, with the CRDs pinnace installs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support import apiservers

from pinnace.controllers import builtin, manager
from pinnace.notebooks import setup

CRDS = ("notebooks.kubeflow.org", "virtualservices.networking.istio.io")


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    """The API server with namespace `ns` and the Notebook and VirtualService CRDs."""
    async with apiservers.serve(tmp_path, crd_names=CRDS) as running:
        yield running


@pytest.fixture
async def mgr(kube: apiservers.Kube) -> AsyncIterator[manager.Manager]:
    """The notebook controllers with the StatefulSet controller and the garbage collector."""
    m = manager.Manager(kube)
    setup(m)
    builtin.setup_statefulsets(m)
    builtin.setup_garbage_collector(m)
    await m.start()
    yield m
    await m.stop()
