"""The client and informers against the real embedded API server over a real socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.apiserver import app as api_app
from pinnace.apiserver import server as api_server
from pinnace.kits.kube import clients, errors, informers
from pinnace.kits.kube.objects import ObjectKey


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[clients.Client]:
    api = api_server.ApiServer(tmp_path)
    await api.start()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        api_app.build(api),
        loop="none",
        lifespan="off",
        log_level="warning",
        http="httptools",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    c = clients.Client.from_url(f"http://127.0.0.1:{port}")
    yield c
    await c.close()
    server.should_exit = True
    await task
    await api.stop()


async def test_crud_patch_conflict(client: clients.Client) -> None:
    cm = await client.create(
        kinds.CONFIGMAPS,
        {"metadata": {"generateName": "c-", "namespace": "default"}, "data": {"a": "1"}},
    )
    name = cm["metadata"]["name"]
    assert name.startswith("c-")
    got = await client.get(kinds.CONFIGMAPS, name, namespace="default")
    assert got["data"] == {"a": "1"}
    patched = await client.patch(kinds.CONFIGMAPS, name, {"data": {"b": "2"}}, namespace="default")
    assert patched["data"] == {"a": "1", "b": "2"}
    with pytest.raises(errors.Conflict):
        await client.replace(kinds.CONFIGMAPS, {**cm, "data": {}})
    with pytest.raises(errors.Invalid):
        await client.patch(
            kinds.CONFIGMAPS,
            name,
            [{"op": "test", "path": "/data/a", "value": "9"}],
            namespace="default",
            patch_type="json",
        )
    listed = await client.list(
        kinds.CONFIGMAPS, namespace="default", field_selector=f"metadata.name={name}"
    )
    assert [o["metadata"]["name"] for o in listed.items] == [name]
    assert listed.resource_version
    await client.delete(kinds.CONFIGMAPS, name, namespace="default")
    with pytest.raises(errors.NotFound):
        await client.get(kinds.CONFIGMAPS, name, namespace="default")


async def test_watch_from_list_rv_and_informer(client: clients.Client) -> None:
    listed = await client.list(kinds.CONFIGMAPS, namespace="default")
    inf = informers.Informer(client, kinds.CONFIGMAPS, "default")
    seen: list[tuple[str, str]] = []
    inf.add_handler(lambda t, o, old: seen.append((t, o["metadata"]["name"])))
    inf.start()
    await inf.wait_synced()
    await client.create(kinds.CONFIGMAPS, {"metadata": {"name": "w", "namespace": "default"}})
    events = []
    async for ev in client.watch(
        kinds.CONFIGMAPS,
        namespace="default",
        resource_version=listed.resource_version,
        timeout_seconds=1,
    ):
        events.append((ev.type, ev.object["metadata"].get("name")))
        if ev.type == "ADDED":
            break
    assert events[-1] == ("ADDED", "w")
    await client.delete(kinds.CONFIGMAPS, "w", namespace="default")
    async with asyncio.timeout(3):
        while ("DELETED", "w") not in seen:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert inf.get(ObjectKey("default", "w")) is None
    await inf.stop()


async def test_discovery_binding_and_propagation(client: clients.Client) -> None:
    found = {r.type.group_resource: r for r in await client.server_resources()}
    assert {"pods", "deployments.apps", "namespaces"} <= set(found)
    assert "status" in found["pods"].subresources
    await client.create(
        kinds.PODS,
        {
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        },
    )
    await client.post(
        kinds.PODS,
        "p",
        "binding",
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "p"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"},
        },
        namespace="default",
    )
    assert (await client.get(kinds.PODS, "p", namespace="default"))["spec"]["nodeName"] == "n1"
    await client.create(kinds.CONFIGMAPS, {"metadata": {"name": "fg", "namespace": "default"}})
    fg = await client.delete(
        kinds.CONFIGMAPS, "fg", namespace="default", propagation_policy="Foreground"
    )
    assert "foregroundDeletion" in fg["metadata"]["finalizers"]


async def test_discovery_finds_resources_outside_the_preferred_version(tmp_path: Path) -> None:
    # pipelines.kubeflow.org serves PipelineRun in v1alpha1 only and Pipeline in v2beta1 only;
    # the garbage collector must see both, as client-go's ServerPreferredResources does.
    crds = ["pipelineruns.pipelines.kubeflow.org", "pipelines.pipelines.kubeflow.org"]
    async with apiservers.serve(tmp_path, crd_names=crds) as kube:
        found = {r.type.group_resource: r.type for r in await kube.server_resources()}
    assert found["pipelineruns.pipelines.kubeflow.org"].version == "v1alpha1"
    assert found["pipelines.pipelines.kubeflow.org"].version == "v2beta1"
    assert sum(1 for name in found if name.endswith(".pipelines.kubeflow.org")) == 2
