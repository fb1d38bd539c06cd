"""Every path's storage honours dry-run and admission: objects, status, scale, binding, finalize."""

from __future__ import annotations

from typing import Any

import pytest
from tests.apiserver.conftest import Running

PODS = "/api/v1/namespaces/default/pods"
DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
    }


def _binding(name: str, node: str = "node-1") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    }


async def _rv(running: Running) -> int:
    return int((await running.http.get(PODS)).json()["metadata"]["resourceVersion"])


async def test_binding_sets_node_and_scheduled_condition(running: Running) -> None:
    await running.http.post(PODS, json=_pod("p"))
    r = await running.http.post(f"{PODS}/p/binding", json=_binding("p"))
    assert r.status_code == 201 and r.json()["status"] == "Success"
    pod = (await running.http.get(f"{PODS}/p")).json()
    assert pod["spec"]["nodeName"] == "node-1"
    assert [c["type"] for c in pod["status"]["conditions"]] == ["PodScheduled"]
    again = await running.http.post(f"{PODS}/p/binding", json=_binding("p", "node-2"))
    assert again.status_code == 409 and "already assigned" in again.json()["message"]


async def test_binding_dry_run_stores_nothing(running: Running) -> None:
    await running.http.post(PODS, json=_pod("dry"))
    before = await _rv(running)
    r = await running.http.post(f"{PODS}/dry/binding?dryRun=All", json=_binding("dry"))
    assert r.status_code == 201
    pod = (await running.http.get(f"{PODS}/dry")).json()
    assert "nodeName" not in pod["spec"]
    assert await _rv(running) == before
    # The pod is still unbound, so a real binding afterwards succeeds.
    assert (await running.http.post(f"{PODS}/dry/binding", json=_binding("dry"))).status_code == 201


async def test_bindings_collection_binds_the_pod_it_names(running: Running) -> None:
    await running.http.post(PODS, json=_pod("legacy"))
    r = await running.http.post(
        "/api/v1/namespaces/default/bindings?dryRun=All", json=_binding("legacy")
    )
    assert r.status_code == 201
    assert "nodeName" not in (await running.http.get(f"{PODS}/legacy")).json()["spec"]
    r = await running.http.post("/api/v1/namespaces/default/bindings", json=_binding("legacy"))
    assert r.status_code == 201
    assert (await running.http.get(f"{PODS}/legacy")).json()["spec"]["nodeName"] == "node-1"
    assert (await running.http.get("/api/v1/namespaces/default/bindings")).status_code == 405


async def test_binding_needs_a_target_and_an_existing_pod(running: Running) -> None:
    missing = await running.http.post(f"{PODS}/nope/binding", json=_binding("nope"))
    assert missing.status_code == 404
    await running.http.post(PODS, json=_pod("t"))
    body = _binding("t")
    del body["target"]
    r = await running.http.post(f"{PODS}/t/binding", json=body)
    assert r.status_code == 422 and r.json()["details"]["causes"][0]["field"] == "target.name"


@pytest.mark.parametrize(
    ("method", "suffix", "content_type", "body"),
    [
        pytest.param(
            "PATCH",
            "",
            "application/merge-patch+json",
            {"metadata": {"labels": {"a": "b"}}},
            id="patch",
        ),
        pytest.param(
            "PATCH",
            "/status",
            "application/merge-patch+json",
            {"status": {"phase": "Running"}},
            id="status",
        ),
        pytest.param("DELETE", "", None, None, id="delete"),
    ],
)
async def test_pod_writes_honour_dry_run(
    running: Running, method: str, suffix: str, content_type: str | None, body: Any
) -> None:
    created = (await running.http.post(PODS, json=_pod("d"))).json()
    before = await _rv(running)
    headers = {"content-type": content_type} if content_type else {}
    r = await running.http.request(
        method, f"{PODS}/d{suffix}?dryRun=All", json=body, headers=headers
    )
    assert r.status_code == 200, r.text
    assert await _rv(running) == before
    stored = (await running.http.get(f"{PODS}/d")).json()
    assert stored == created


async def test_scale_dry_run_and_validation(running: Running) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "sc"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "sc"}},
            "template": {
                "metadata": {"labels": {"app": "sc"}},
                "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
            },
        },
    }
    await running.http.post(DEPLOY, json=deployment)
    patch = {"spec": {"replicas": 4}}
    headers = {"content-type": "application/merge-patch+json"}
    dry = await running.http.patch(f"{DEPLOY}/sc/scale?dryRun=All", json=patch, headers=headers)
    assert dry.status_code == 200 and dry.json()["spec"]["replicas"] == 4
    stored = (await running.http.get(f"{DEPLOY}/sc")).json()
    assert stored["spec"]["replicas"] == 1
    bad = await running.http.patch(
        f"{DEPLOY}/sc/scale", json={"spec": {"replicas": -1}}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["details"]["causes"][0]["field"] == "spec.replicas"


async def test_subresource_paths_refuse_other_verbs(running: Running) -> None:
    await running.http.post(PODS, json=_pod("v"))
    assert (await running.http.delete(f"{PODS}/v/status")).status_code == 405
    assert (await running.http.post(f"{PODS}/v/status", json=_pod("v"))).status_code == 405
    assert (await running.http.get(f"{PODS}/v/nothing")).status_code == 404
