"""The KFP REST app on the real in-process API server, called over httpx's ASGI transport.

`api` is an `httpx.AsyncClient` on `restapi.app.build(kube.client)` whose
requests carry the identity headers the gateway would set; `kube` is the API
server underneath, with the pipeline kinds registered and the `kubeflow`
namespace made by the app's `start`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support import apiservers

from pinnace.pipelines.restapi import app

from . import pipelines_ir

PIPELINE_CRDS = (
    "pipelineruns.pipelines.kubeflow.org",
    "recurringruns.pipelines.kubeflow.org",
    "experiments.pipelines.kubeflow.org",
    "pipelines.pipelines.kubeflow.org",
    "pipelineversions.pipelines.kubeflow.org",
)
BASE = "/apis/v2beta1"
IDENTITY = {"kubeflow-userid": "user@example.com", "kubeflow-groups": "system:masters"}


@dataclass
class Api:
    http: httpx.AsyncClient
    kube: apiservers.Kube
    app: app.KfpApi

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        resp = await self.http.request(method, BASE + path, **kwargs)
        return resp.status_code, resp.json()

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        status, body = await self.call(method, path, **kwargs)
        assert status == 200, body
        return body


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    pipelines_ir.chain()  # compiled before the server starts: compiling blocks the loop
    async with apiservers.serve(tmp_path, crd_names=PIPELINE_CRDS) as kube:
        kfp = app.build(kube.client)
        await kfp.start()
        transport = httpx.ASGITransport(app=kfp)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://kfp", headers=IDENTITY
        ) as http:
            yield Api(http, kube, kfp)
