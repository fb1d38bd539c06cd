"""Finalizers, propagation policies, graceful pod deletion, namespaces."""

from __future__ import annotations

from typing import Any

from tests.apiserver.conftest import Running

CM = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
MERGE = {"content-type": "application/merge-patch+json"}


def _pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
    }


async def test_finalizer_holds_the_object_until_removed(running: Running) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "f", "finalizers": ["example.com/x"]},
    }
    await running.http.post(CM, json=body)
    r = await running.http.delete(f"{CM}/f")
    assert r.status_code == 202 and r.json()["metadata"]["deletionTimestamp"]
    assert (await running.http.get(f"{CM}/f")).status_code == 200
    r = await running.http.patch(
        f"{CM}/f", json={"metadata": {"finalizers": ["example.com/y"]}}, headers=MERGE
    )
    assert r.status_code == 422
    r = await running.http.patch(f"{CM}/f", json={"metadata": {"finalizers": None}}, headers=MERGE)
    assert r.status_code == 200
    assert (await running.http.get(f"{CM}/f")).status_code == 404


async def test_foreground_and_orphan_policies_add_their_finalizers(running: Running) -> None:
    for name, policy, finalizer in (
        ("fg", "Foreground", "foregroundDeletion"),
        ("or", "Orphan", "orphan"),
    ):
        await running.http.post(
            CM, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
        )
        r = await running.http.request("DELETE", f"{CM}/{name}", json={"propagationPolicy": policy})
        assert r.json()["metadata"]["finalizers"] == [finalizer]


async def test_unbound_pod_is_deleted_at_once(running: Running) -> None:
    await running.http.post(PODS, json=_pod("p"))
    assert (await running.http.delete(f"{PODS}/p")).status_code == 200
    assert (await running.http.get(f"{PODS}/p")).status_code == 404


async def test_bound_pod_deletes_gracefully_until_grace_zero(running: Running) -> None:
    await running.http.post(PODS, json=_pod("g"))
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "g"},
        "target": {"kind": "Node", "name": "n1"},
    }
    assert (await running.http.post(f"{PODS}/g/binding", json=binding)).status_code == 201
    assert (await running.http.post(f"{PODS}/g/binding", json=binding)).status_code == 409
    r = await running.http.delete(f"{PODS}/g")
    assert r.status_code == 202 and r.json()["metadata"]["deletionGracePeriodSeconds"] == 30
    status = {"status": {"phase": "Running"}}
    assert (
        await running.http.patch(f"{PODS}/g/status", json=status, headers=MERGE)
    ).status_code == 200
    assert (await running.http.get(f"{PODS}/g")).status_code == 200
    uid = r.json()["metadata"]["uid"]
    r = await running.http.request(
        "DELETE", f"{PODS}/g?gracePeriodSeconds=0", json={"preconditions": {"uid": uid}}
    )
    assert r.status_code == 200
    assert (await running.http.get(f"{PODS}/g")).status_code == 404


async def test_delete_precondition_mismatch_is_a_conflict(running: Running) -> None:
    await running.http.post(PODS, json=_pod("pc"))
    r = await running.http.request("DELETE", f"{PODS}/pc", json={"preconditions": {"uid": "nope"}})
    assert r.status_code == 409
    assert (await running.http.get(f"{PODS}/pc")).status_code == 200


async def test_terminating_namespace_refuses_new_content(running: Running) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}}
    await running.http.post("/api/v1/namespaces", json=ns)
    r = await running.http.delete("/api/v1/namespaces/gone")
    assert r.status_code == 202 and r.json()["status"]["phase"] == "Terminating"
    r = await running.http.post(
        "/api/v1/namespaces/gone/configmaps",
        json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}},
    )
    assert r.status_code == 403
    current = (await running.http.get("/api/v1/namespaces/gone")).json()
    current["spec"]["finalizers"] = []
    assert (
        await running.http.put("/api/v1/namespaces/gone/finalize", json=current)
    ).status_code == 200
    assert (await running.http.get("/api/v1/namespaces/gone")).status_code == 404


async def test_deleting_a_crd_serves_it_no_more(running: Running) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gizmos", "kind": "Gizmo"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }
    assert (
        await running.http.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd)
    ).status_code == 201
    path = "/apis/example.com/v1/namespaces/default/gizmos"
    assert (
        await running.http.post(
            path, json={"apiVersion": "example.com/v1", "kind": "Gizmo", "metadata": {"name": "g"}}
        )
    ).status_code == 201
    resources = (await running.http.get("/apis/example.com/v1")).json()["resources"]
    assert [r["name"] for r in resources] == ["gizmos"]
    await running.http.delete(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.com"
    )
    assert (await running.http.get(path)).status_code == 404
