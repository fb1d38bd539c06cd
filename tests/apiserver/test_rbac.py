"""RBAC enforced at the API server's entry, with kube-apiserver's semantics and wording."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.apiserver.conftest import Running, start, stop

from pinnace.apiserver import rbac, server

RBAC_V1 = "/apis/rbac.authorization.k8s.io/v1"
ADMIN = {"kubeflow-userid": "root", "kubeflow-groups": "system:masters"}


def as_user(user: str, *groups: str) -> dict[str, str]:
    headers = {"kubeflow-userid": user}
    if groups:
        headers["kubeflow-groups"] = ",".join(groups)
    return headers


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[Running]:
    api, srv, task, url = await start(tmp_path, server.Settings(authorization_mode="RBAC"))
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        yield Running(api, http, url)
    await stop(api, srv, task)


async def admin_create(s: Running, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await s.http.post(path, json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def namespace(s: Running, name: str) -> None:
    await admin_create(s, "/api/v1/namespaces", {"metadata": {"name": name}})


async def cluster_role(s: Running, name: str, rules: list[Any], **extra: Any) -> None:
    body = {"metadata": {"name": name, **extra.pop("metadata", {})}, "rules": rules, **extra}
    await admin_create(s, f"{RBAC_V1}/clusterroles", body)


async def bind(
    s: Running, ns: str, name: str, role: str, user: str, kind: str = "ClusterRole"
) -> None:
    await admin_create(
        s,
        f"{RBAC_V1}/namespaces/{ns}/rolebindings",
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": rbac.GROUP, "kind": kind, "name": role},
            "subjects": [{"apiGroup": rbac.GROUP, "kind": "User", "name": user}],
        },
    )


READ_PODS = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]


async def test_a_user_without_a_binding_is_forbidden_in_kubes_words(secured: Running) -> None:
    await namespace(secured, "y")
    r = await secured.http.get("/api/v1/namespaces/y/pods", headers=as_user("x"))
    assert r.status_code == 403
    assert r.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods is forbidden: User "x" cannot list resource "pods" in API group "" '
        'in the namespace "y"',
        "reason": "Forbidden",
        "details": {"kind": "pods"},
        "code": 403,
    }
    r = await secured.http.get("/apis/apps/v1/namespaces/y/deployments/web", headers=as_user("x"))
    assert r.json()["message"] == (
        'deployments.apps "web" is forbidden: User "x" cannot get resource "deployments" in API '
        'group "apps" in the namespace "y"'
    )
    assert r.json()["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    r = await secured.http.get("/api/v1/nodes", headers=as_user("x"))
    assert r.json()["message"].endswith(
        'cannot list resource "nodes" in API group "" at the cluster scope'
    )
    r = await secured.http.get("/api/v1/namespaces/y/pods/p/log", headers=as_user("x"))
    assert 'cannot get resource "pods/log"' in r.json()["message"]
    r = await secured.http.get("/api/v1/pods", headers=as_user("x"))  # anonymous-free, no leak
    assert r.status_code == 403


async def test_role_and_cluster_role_bindings_grant_what_they_say(secured: Running) -> None:
    await namespace(secured, "a")
    await namespace(secured, "b")
    await cluster_role(secured, "pod-reader", READ_PODS)
    await bind(secured, "a", "read", "pod-reader", "alice")
    alice = as_user("alice")
    assert (await secured.http.get("/api/v1/namespaces/a/pods", headers=alice)).status_code == 200
    assert (await secured.http.get("/api/v1/namespaces/b/pods", headers=alice)).status_code == 403
    assert (await secured.http.get("/api/v1/pods", headers=alice)).status_code == 403
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    r = await secured.http.post("/api/v1/namespaces/a/pods", json=pod, headers=alice)
    assert r.status_code == 403 and 'cannot create resource "pods"' in r.json()["message"]
    # a namespaced Role, bound by a RoleBinding
    await admin_create(
        secured,
        f"{RBAC_V1}/namespaces/b/roles",
        {
            "metadata": {"name": "cm"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "verbs": ["*"],
                    "resourceNames": ["mine"],
                }
            ],
        },
    )
    await bind(secured, "b", "cm", "cm", "alice", kind="Role")
    r = await secured.http.get("/api/v1/namespaces/b/configmaps/mine", headers=alice)
    assert r.status_code == 404  # allowed; there is none
    r = await secured.http.get("/api/v1/namespaces/b/configmaps/other", headers=alice)
    assert r.status_code == 403
    # a ClusterRoleBinding to a group grants everywhere
    await admin_create(
        secured,
        f"{RBAC_V1}/clusterrolebindings",
        {
            "metadata": {"name": "readers"},
            "roleRef": {"apiGroup": rbac.GROUP, "kind": "ClusterRole", "name": "pod-reader"},
            "subjects": [{"apiGroup": rbac.GROUP, "kind": "Group", "name": "readers"}],
        },
    )
    bob = as_user("bob", "readers")
    assert (await secured.http.get("/api/v1/pods", headers=bob)).status_code == 200
    assert (await secured.http.get("/api/v1/namespaces/b/pods", headers=bob)).status_code == 200
    # removing the binding takes the grant away
    r = await secured.http.delete(f"{RBAC_V1}/namespaces/a/rolebindings/read", headers=ADMIN)
    assert r.status_code == 200
    assert (await secured.http.get("/api/v1/namespaces/a/pods", headers=alice)).status_code == 403


async def test_aggregated_cluster_roles_take_the_rules_of_the_roles_they_select(
    secured: Running,
) -> None:
    await namespace(secured, "a")
    label = "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-edit"
    await cluster_role(
        secured,
        "kubeflow-edit",
        [],
        aggregationRule={"clusterRoleSelectors": [{"matchLabels": {label: "true"}}]},
    )
    await bind(secured, "a", "edit", "kubeflow-edit", "carol")
    carol = as_user("carol")
    assert (await secured.http.get("/api/v1/namespaces/a/pods", headers=carol)).status_code == 403
    await cluster_role(secured, "pods-part", READ_PODS, metadata={"labels": {label: "true"}})
    assert (await secured.http.get("/api/v1/namespaces/a/pods", headers=carol)).status_code == 200


async def test_system_masters_bypass_and_anonymous_is_refused(secured: Running) -> None:
    assert (await secured.http.get("/api/v1/pods", headers=ADMIN)).status_code == 200
    r = await secured.http.get("/api/v1/pods")
    assert r.status_code == 403
    assert r.json()["message"].startswith('pods is forbidden: User "system:anonymous"')
    # discovery is open to every authenticated user (bootstrap policy), not to anonymous
    assert (await secured.http.get("/api", headers=as_user("x"))).status_code == 200
    assert (await secured.http.get("/version")).status_code == 200  # public info
    r = await secured.http.get("/apis")
    assert r.status_code == 403
    assert r.json()["message"] == 'forbidden: User "system:anonymous" cannot get path "/apis"'
    assert r.json()["details"] == {}


async def test_the_default_is_always_allow(running: Running) -> None:
    assert (await running.http.get("/api/v1/pods", headers=as_user("x"))).status_code == 200


async def test_decisions_stay_fast_with_a_thousand_bindings(secured: Running) -> None:
    await namespace(secured, "many")
    await cluster_role(secured, "pod-reader", READ_PODS)
    for i in range(1000):
        secured.api.store.put(
            rbac.ROLEBINDINGS,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"b{i}", "namespace": "many", "uid": str(i)},
                "roleRef": {"apiGroup": rbac.GROUP, "kind": "ClusterRole", "name": "pod-reader"},
                "subjects": [{"apiGroup": rbac.GROUP, "kind": "User", "name": f"user-{i}"}],
            },
            None,
        )
    authz = rbac.Rbac(secured.api.store)
    start_ = time.perf_counter()
    authz.index()
    built = time.perf_counter() - start_
    attrs = [
        rbac.Attributes(f"user-{i}", ("system:authenticated",), "list", "many", "", "pods")
        for i in range(1000)
    ]
    start_ = time.perf_counter()
    assert all(authz.decide(a).allowed for a in attrs)  # first decisions: evaluated
    first = time.perf_counter() - start_
    start_ = time.perf_counter()
    for _ in range(10):
        assert all(authz.decide(a).allowed for a in attrs)  # cached
    cached = (time.perf_counter() - start_) / 10
    print(
        f"index of 1000 bindings {built * 1e3:.1f} ms; {len(attrs) / first:,.0f} decisions/s "
        f"uncached, {len(attrs) / cached:,.0f}/s cached"
    )
    assert first < 1.0 and built < 1.0
