from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.gateway import app, auth, responses, settings, tables

from . import builders
from .conftest import TOKEN, Running, Upstream, kube_api

Serve = Callable[..., Awaitable[Running]]
Start = Callable[[str], Awaitable[Upstream]]
UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.mark.parametrize(
    ("path", "kube"),
    [
        pytest.param("/api", True, id="api"),
        pytest.param("/api/v1/pods", True, id="api-sub"),
        pytest.param("/apis/apps/v1", True, id="apis"),
        pytest.param("/version", True, id="version"),
        pytest.param("/openapi/v3", True, id="openapi"),
        pytest.param("/apifoo", False, id="prefix-is-a-segment"),
        pytest.param("/pipeline/apis/v2beta1/runs", False, id="nested-apis"),
        pytest.param("/", False, id="root"),
    ],
)
def test_kube_paths(path: str, kube: bool) -> None:
    assert app.is_kube_path(path) is kube


async def test_healthz_follows_ready(serve: Serve) -> None:
    state = {"ready": False}
    gw = await serve(ready=lambda: state["ready"])
    async with gw.session.get(gw.url + "/healthz") as resp:
        assert (resp.status, await resp.text()) == (503, "not ready")
    state["ready"] = True
    async with gw.session.get(gw.url + "/healthz") as resp:
        assert (resp.status, await resp.text()) == (200, "ok")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"authorization": "Bearer wrong"}, id="wrong-token"),
        pytest.param({"authorization": f"Basic {TOKEN}"}, id="not-bearer"),
    ],
)
async def test_kube_api_requires_admin_token(serve: Serve, headers: dict[str, str]) -> None:
    gw = await serve()
    status, body = await gw.get_json("/api/v1/namespaces", headers=headers)
    assert (status, body) == (401, UNAUTHORIZED)


async def test_kube_api_in_process_with_identity(serve: Serve) -> None:
    gw = await serve()
    status, body = await gw.get_json(
        "/apis/apps/v1/deployments",
        headers={"authorization": f"Bearer {TOKEN}", "kubeflow-userid": "mallory"},
    )
    assert status == 200
    assert body["path"] == "/apis/apps/v1/deployments"
    headers = dict(body["headers"])
    assert headers["kubeflow-userid"] == "admin"
    assert headers["authorization"] == f"Bearer {TOKEN}"


async def test_kube_api_websocket(serve: Serve) -> None:
    gw = await serve()
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await gw.session.ws_connect(gw.url + "/api/v1/namespaces/x/pods/p/exec")
    assert err.value.status == 401
    async with gw.session.ws_connect(
        gw.url + "/api/v1/namespaces/x/pods/p/exec",
        headers={"authorization": f"Bearer {TOKEN}"},
    ) as ws:
        assert await ws.receive_str() == "/api/v1/namespaces/x/pods/p/exec"


async def test_metrics_count_by_route(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish(
        [builders.virtual_service("web", [builders.route_to("a", name="main")])], {"a": [up]}
    )
    for _ in range(3):
        async with gw.session.get(gw.url + "/x") as resp:
            assert resp.status == 200
    async with gw.session.get(gw.url + "/metrics") as resp:
        text = await resp.text()
    assert 'pinnace_gateway_requests_total{code="200",route="kubeflow/web/main"} 3.0' in text
    assert 'pinnace_gateway_request_duration_seconds_count{route="kubeflow/web/main"} 3.0' in text


async def test_metrics_off(serve: Serve) -> None:
    gw = await serve(options={"metrics_path": ""})
    status, body = await gw.get_json("/metrics")
    assert status == 404
    assert body["error"] == "not found"


class TeamNeedsLogin:
    """A profile-like policy: routes into namespace `team` need an identity."""

    async def authorize(self, identity: auth.Identity | None, access: auth.Access) -> auth.Decision:
        route = access.route
        if route is not None and route.vs.namespace == "team" and identity is None:
            return auth.Decision(False, 401, "login required")
        return auth.ALLOW


async def test_route_authorizer_decides(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve(authorizer=TeamNeedsLogin())
    endpoints = builders.endpoints(
        "nb", ["127.0.0.1"], namespace="team", ports=[{"name": "http", "port": up.port}]
    )
    gw.gateway.publisher.publish(
        tables.build(
            [builders.notebook_virtual_service("team", "nb")],
            [builders.service("nb", namespace="team")],
            [endpoints],
        )
    )
    status, body = await gw.get_json("/notebook/team/nb/")
    assert (status, body) == (401, {"error": "unauthorized", "message": "login required"})
    status, body = await gw.get_json(
        "/notebook/team/nb/", headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200
    assert dict(body["headers"])["kubeflow-userid"] == "admin"


def test_body_of_unauthorized() -> None:
    assert orjson.loads(responses.status_body(401, "Unauthorized", "Unauthorized")) == UNAUTHORIZED


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    """The API server with namespace `team` and the VirtualService CRD (set up before `serve`,
    so it stops after the gateway)."""
    crd = "virtualservices.networking.istio.io"
    async with apiservers.serve(tmp_path, namespaces=["team"], crd_names=[crd]) as running:
        yield running


async def test_routes_follow_the_cluster(
    kube: apiservers.Kube, serve: Serve, upstreams: Start
) -> None:
    up = await upstreams("nb-0")
    gateway = app.build(
        settings.Settings(admin_token=TOKEN, debounce_seconds=0.01),
        kube_api=kube_api,
        client=kube,
        ready=lambda: True,
    )
    gw = await serve(gateway)
    assert gateway.watcher is not None
    await asyncio.wait_for(gateway.watcher.wait_synced(), 2)
    assert (await gw.get_json("/notebook/team/nb/"))[0] == 404
    await kube.create(kinds.VIRTUALSERVICES, builders.notebook_virtual_service("team", "nb"))
    await kube.create(kinds.SERVICES, builders.service("nb", namespace="team"))
    async with asyncio.timeout(3):
        while (await gw.get_json("/notebook/team/nb/"))[0] != 503:
            await gateway.publisher.wait_changed(0.5)
    await kube.create(
        kinds.ENDPOINTS,
        builders.endpoints(
            "nb", ["127.0.0.1"], namespace="team", ports=[{"name": "http", "port": up.port}]
        ),
    )
    async with asyncio.timeout(3):
        while (await gw.get_json("/notebook/team/nb/"))[0] != 200:
            await gateway.publisher.wait_changed(0.5)
    status, body = await gw.get_json("/notebook/team/nb/tree")
    assert status == 200
    assert body["path"] == "/notebook/team/nb/tree"


async def _echo_mount(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A mounted app that echoes its scope's path, root_path and headers."""
    body = orjson.dumps(
        {
            "path": scope["path"],
            "root_path": scope["root_path"],
            "headers": dict((k.decode(), v.decode()) for k, v in scope["headers"]),
        }
    )
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def test_mounted_app_gets_its_prefix_and_the_identity(serve: Serve) -> None:
    gw = await serve(mounts={"/pipeline/": _echo_mount})
    status, body = await gw.get_json(
        "/pipeline/apis/v2beta1/runs?x=1",
        headers={"authorization": f"Bearer {TOKEN}", "kubeflow-userid": "mallory"},
    )
    assert status == 200
    assert (body["path"], body["root_path"]) == ("/pipeline/apis/v2beta1/runs", "/pipeline")
    assert body["headers"]["kubeflow-userid"] == "admin"  # the client's own was stripped


@pytest.mark.parametrize(
    ("path", "mounted"),
    [
        pytest.param("/pipeline", True, id="the-prefix"),
        pytest.param("/pipeline/apis/v2beta1/healthz", True, id="below"),
        pytest.param("/pipelines/x", False, id="prefix-is-a-segment"),
    ],
)
def test_mount_matching(path: str, mounted: bool) -> None:
    assert (app.mounted({"/pipeline": _echo_mount}, path) is not None) is mounted


async def test_mounted_app_needs_an_identity(serve: Serve) -> None:
    gw = await serve(mounts={"/pipeline": _echo_mount})
    status, body = await gw.get_json("/pipeline/apis/v2beta1/runs")
    assert (status, body) == (401, UNAUTHORIZED)
