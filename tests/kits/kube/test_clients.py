"""The HTTP client against a scripted API server on 127.0.0.1 (aiohttp.web): the wire format."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors

Seen = list[dict[str, Any]]
SEEN = web.AppKey("seen", list)


def _status(code: int, reason: str, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": message,
    }
    return web.json_response(body, status=code)


async def _handle(request: web.Request) -> web.StreamResponse:
    seen: Seen = request.app[SEEN]
    body = await request.read()
    seen.append(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "content_type": request.headers.get("Content-Type"),
            "auth": request.headers.get("Authorization"),
            "body": orjson.loads(body) if body else None,
        }
    )
    path, q = request.path, request.query
    if path == "/api":
        return web.json_response({"kind": "APIVersions", "versions": ["v1"]})
    if path == "/apis":
        return web.json_response(
            {
                "kind": "APIGroupList",
                "groups": [
                    {
                        "name": "apps",
                        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
                    }
                ],
            }
        )
    if path == "/api/v1":
        return web.json_response(
            {
                "resources": [
                    {
                        "name": "pods",
                        "kind": "Pod",
                        "namespaced": True,
                        "verbs": ["get", "list", "watch"],
                    },
                    {"name": "pods/status", "kind": "Pod", "namespaced": True, "verbs": ["get"]},
                    {
                        "name": "namespaces",
                        "kind": "Namespace",
                        "namespaced": False,
                        "verbs": ["list"],
                    },
                ]
            }
        )
    if path == "/apis/apps/v1":
        return web.json_response(
            {
                "resources": [
                    {
                        "name": "deployments",
                        "kind": "Deployment",
                        "namespaced": True,
                        "verbs": ["list"],
                    }
                ]
            }
        )
    if path.endswith("/pods/missing"):
        return _status(404, "NotFound", 'pods "missing" not found')
    if path.endswith("/pods/plain"):
        return web.Response(status=503, text="upstream down")
    if q.get("watch") == "true":
        resp = web.StreamResponse()
        await resp.prepare(request)
        rv = q.get("resourceVersion")
        if rv == "1":
            await resp.write(
                orjson.dumps(
                    {
                        "type": "ERROR",
                        "object": {
                            "kind": "Status",
                            "code": 410,
                            "reason": "Expired",
                            "message": "too old resource version: 1 (5)",
                        },
                    }
                )
                + b"\n"
            )
        else:
            pod = {"kind": "Pod", "metadata": {"name": "a", "resourceVersion": "7"}}
            line = orjson.dumps({"type": "ADDED", "object": pod}) + b"\n"
            await resp.write(line[:10])  # events may straddle chunks
            await resp.write(line[10:])
            await resp.write(
                orjson.dumps(
                    {
                        "type": "BOOKMARK",
                        "object": {"kind": "Pod", "metadata": {"resourceVersion": "9"}},
                    }
                )
                + b"\n"
            )
        await resp.write_eof()
        return resp
    if request.method == "GET" and path.endswith("/pods"):
        return web.json_response(
            {
                "kind": "PodList",
                "metadata": {"resourceVersion": "5", "continue": "tok"},
                "items": [{"metadata": {"name": "a"}}],
            }
        )
    if request.method == "POST" and path.endswith("/pods"):
        obj = orjson.loads(body)
        obj["metadata"]["uid"] = "u1"
        return web.json_response(obj, status=201)
    return web.json_response(orjson.loads(body) if body else {"kind": "Pod"})


@pytest.fixture
async def server() -> AsyncIterator[tuple[clients.Client, Seen]]:
    app = web.Application()
    app[SEEN] = []
    app.router.add_route("*", "/{tail:.*}", _handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = clients.Client.from_url(f"http://127.0.0.1:{port}", token="secret")
    yield client, app[SEEN]
    await client.close()
    await runner.cleanup()


async def test_list_sends_selectors_and_returns_rv_and_continue(server: Any) -> None:
    client, seen = server
    answer = await client.list(
        kinds.PODS,
        namespace="ns",
        label_selector="app in (a,b)",
        field_selector="spec.nodeName=n",
        limit=10,
    )
    assert answer.resource_version == "5"
    assert answer.continue_token == "tok"
    assert answer.items == [{"metadata": {"name": "a"}, "apiVersion": "v1", "kind": "Pod"}]
    assert seen[-1]["path"] == "/api/v1/namespaces/ns/pods"
    assert seen[-1]["query"] == {
        "labelSelector": "app in (a,b)",
        "fieldSelector": "spec.nodeName=n",
        "limit": "10",
    }
    assert seen[-1]["auth"] == "Bearer secret"


async def test_create_patch_delete_bodies(server: Any) -> None:
    client, seen = server
    created = await client.create(
        kinds.PODS, {"metadata": {"generateName": "x-", "namespace": "ns"}}
    )
    assert created["metadata"]["uid"] == "u1"
    assert seen[-1]["path"] == "/api/v1/namespaces/ns/pods"
    await client.patch(
        kinds.DEPLOYMENTS,
        "d",
        [{"op": "remove", "path": "/x"}],
        namespace="ns",
        patch_type="json",
        subresource="status",
    )
    assert seen[-1]["path"] == "/apis/apps/v1/namespaces/ns/deployments/d/status"
    assert seen[-1]["content_type"] == "application/json-patch+json"
    await client.delete(
        kinds.PODS,
        "p",
        namespace="ns",
        propagation_policy="Foreground",
        grace_period_seconds=0,
        precondition_uid="u",
    )
    assert seen[-1]["method"] == "DELETE"
    assert seen[-1]["body"] == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Foreground",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "u"},
    }
    await client.post(kinds.PODS, "p", "binding", {"kind": "Binding"}, namespace="ns")
    assert seen[-1]["path"] == "/api/v1/namespaces/ns/pods/p/binding"
    await client.replace(kinds.NAMESPACES, {"metadata": {"name": "ns"}}, subresource="finalize")
    assert (seen[-1]["method"], seen[-1]["path"]) == ("PUT", "/api/v1/namespaces/ns/finalize")


async def test_errors_map_onto_the_tree(server: Any) -> None:
    client, _ = server
    with pytest.raises(errors.NotFound) as nf:
        await client.get(kinds.PODS, "missing", namespace="ns")
    assert nf.value.message == 'pods "missing" not found'
    with pytest.raises(errors.ServerError) as se:
        await client.get(kinds.PODS, "plain", namespace="ns")
    assert se.value.code == 503
    assert se.value.message == "upstream down"


async def test_watch_streams_events_and_raises_gone(server: Any) -> None:
    client, seen = server
    events = [e async for e in client.watch(kinds.PODS, resource_version="5")]
    assert [(e.type, e.object["metadata"]["resourceVersion"]) for e in events] == [
        ("ADDED", "7"),
        ("BOOKMARK", "9"),
    ]
    assert seen[-1]["query"] == {
        "watch": "true",
        "resourceVersion": "5",
        "allowWatchBookmarks": "true",
    }
    with pytest.raises(errors.Gone):
        async for _ in client.watch(kinds.PODS, resource_version="1"):
            pass


async def test_discovery_folds_subresources(server: Any) -> None:
    client, _ = server
    found = {r.type.group_resource: r for r in await client.server_resources()}
    assert set(found) == {"pods", "namespaces", "deployments.apps"}
    assert found["pods"].subresources == {"status"}
    assert found["pods"].verbs == {"get", "list", "watch"}
    assert not found["namespaces"].type.namespaced


async def test_unreachable_server_is_a_transport_error() -> None:
    client = clients.Client.from_url("http://127.0.0.1:1")
    with pytest.raises(errors.TransportError):
        await client.get(kinds.PODS, "x", namespace="ns")
    await client.close()


async def test_from_kubeconfig(server: Any, tmp_path: Path) -> None:
    client, seen = server
    path = tmp_path / "kubeconfig"
    path.write_text(f"""
apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "{client._base}"}}}}]
users: [{{name: u, user: {{token: kube-token}}}}]
contexts: [{{name: x, context: {{cluster: c, user: u}}}}]
current-context: x
""")
    other = await clients.Client.from_kubeconfig(str(path))
    await other.get(kinds.PODS, "a", namespace="ns")
    await other.close()
    assert seen[-1]["auth"] == "Bearer kube-token"
    await asyncio.sleep(0)
