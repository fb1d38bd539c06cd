"""The facade acts as its caller: the API server's RBAC allows or refuses each call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from tests.support import apiservers

from pinnace.api import crds, kinds
from pinnace.apiserver import rbac
from pinnace.apiserver import server as api_server
from pinnace.kits.kube import clients
from pinnace.pipelines.restapi import app

from .conftest import BASE, PIPELINE_CRDS

ADMIN = {"kubeflow-userid": "root", "kubeflow-groups": "system:masters"}


class _AsAdmin:
    """The platform's connection: the in-process API server trusts the identity headers."""

    def __init__(self, url: str) -> None:
        self.host = url
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def auth_headers(self) -> dict[str, str]:
        return dict(ADMIN)

    def request_options(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[tuple[clients.Client, httpx.AsyncClient]]:
    settings = api_server.Settings(authorization_mode="RBAC")
    async with apiservers.serve(tmp_path, settings=settings, namespaces=()) as kube:
        admin = clients.Client(_AsAdmin(kube.url))
        try:
            for name in ("team-a", "team-b"):
                await admin.create(kinds.NAMESPACES, {"metadata": {"name": name}})
            for crd in PIPELINE_CRDS:
                await admin.create(kinds.CUSTOMRESOURCEDEFINITIONS, crds.crd(crd))
            await admin.create(
                kinds.CLUSTERROLES,
                {
                    "metadata": {"name": "pipelines-edit"},
                    "rules": [
                        {
                            "apiGroups": ["pipelines.kubeflow.org"],
                            "resources": ["*"],
                            "verbs": ["*"],
                        }
                    ],
                },
            )
            await admin.create(
                kinds.ROLEBINDINGS,
                {
                    "metadata": {"name": "alice"},
                    "roleRef": {
                        "apiGroup": rbac.GROUP,
                        "kind": "ClusterRole",
                        "name": "pipelines-edit",
                    },
                    "subjects": [{"apiGroup": rbac.GROUP, "kind": "User", "name": "alice"}],
                },
                namespace="team-a",
            )
            kfp = app.build(admin)
            await kfp.start()
            transport = httpx.ASGITransport(app=kfp)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://kfp", headers={"kubeflow-userid": "alice"}
            ) as http:
                yield admin, http
        finally:
            await admin.close()


async def test_rbac_decides_for_the_caller(
    secured: tuple[clients.Client, httpx.AsyncClient],
) -> None:
    admin, alice = secured
    mine = await alice.post(
        BASE + "/experiments", json={"display_name": "mine", "namespace": "team-a"}
    )
    assert mine.status_code == 200, mine.text
    theirs = await alice.post(
        BASE + "/experiments", json={"display_name": "theirs", "namespace": "team-b"}
    )
    assert (theirs.status_code, theirs.json()["code"]) == (403, 7)
    assert 'User "alice"' in theirs.json()["message"]

    other = await admin.create(
        kinds.EXPERIMENTS,
        {"metadata": {"name": "other"}, "spec": {"displayName": "other"}},
        namespace="team-b",
    )
    # the id is found with the platform's identity, but read as alice: refused, not leaked
    got = await alice.get(BASE + f"/experiments/{other['metadata']['uid']}")
    assert (got.status_code, got.json()["code"]) == (403, 7)
    listed = await alice.get(BASE + "/experiments", params={"namespace": "team-b"})
    assert listed.status_code == 403
    own = await alice.get(BASE + "/experiments", params={"namespace": "team-a"})
    assert [e["display_name"] for e in own.json()["experiments"]] == ["mine"]
