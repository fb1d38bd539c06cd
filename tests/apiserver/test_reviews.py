"""SelfSubjectAccessReview, SubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.apiserver.conftest import Running, start, stop

from pinnace.apiserver import rbac, server

AUTHZ = "/apis/authorization.k8s.io/v1"
ADMIN = {"kubeflow-userid": "root", "kubeflow-groups": "system:masters"}


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[Running]:
    api, srv, task, url = await start(tmp_path, server.Settings(authorization_mode="RBAC"))
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        await http.post("/api/v1/namespaces", json={"metadata": {"name": "a"}}, headers=ADMIN)
        await http.post(
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            json={
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            },
            headers=ADMIN,
        )
        r = await http.post(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/a/rolebindings",
            json={
                "metadata": {"name": "alice-reads"},
                "roleRef": {"apiGroup": rbac.GROUP, "kind": "ClusterRole", "name": "pod-reader"},
                "subjects": [{"apiGroup": rbac.GROUP, "kind": "User", "name": "alice"}],
            },
            headers=ADMIN,
        )
        assert r.status_code == 201, r.text
        yield Running(api, http, url)
    await stop(api, srv, task)


def ssar(verb: str, resource: str, namespace: str = "", group: str = "") -> dict[str, Any]:
    attrs = {"verb": verb, "resource": resource, "namespace": namespace, "group": group}
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    }


async def test_self_subject_access_review_answers_for_the_caller(secured: Running) -> None:
    alice = {"kubeflow-userid": "alice"}
    r = await secured.http.post(
        f"{AUTHZ}/selfsubjectaccessreviews", json=ssar("list", "pods", "a"), headers=alice
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "SelfSubjectAccessReview"
    assert body["status"]["allowed"] is True
    assert 'RoleBinding "alice-reads/a"' in body["status"]["reason"]
    r = await secured.http.post(
        f"{AUTHZ}/selfsubjectaccessreviews", json=ssar("delete", "pods", "a"), headers=alice
    )
    assert r.json()["status"] == {"allowed": False}
    r = await secured.http.post(
        f"{AUTHZ}/selfsubjectaccessreviews", json=ssar("list", "pods", "b"), headers=alice
    )
    assert r.json()["status"]["allowed"] is False
    bad = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}}
    r = await secured.http.post(f"{AUTHZ}/selfsubjectaccessreviews", json=bad, headers=alice)
    assert r.status_code == 422
    assert "exactly one of nonResourceAttributes or resourceAttributes" in r.json()["message"]


async def test_subject_access_review_needs_a_grant_and_answers_for_the_subject(
    secured: Running,
) -> None:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": "alice",
            "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "a"},
        },
    }
    r = await secured.http.post(
        f"{AUTHZ}/subjectaccessreviews", json=review, headers={"kubeflow-userid": "alice"}
    )
    assert r.status_code == 403
    assert r.json()["message"] == (
        'subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create '
        'resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope'
    )
    r = await secured.http.post(f"{AUTHZ}/subjectaccessreviews", json=review, headers=ADMIN)
    assert r.status_code == 201 and r.json()["status"]["allowed"] is True
    review["spec"]["user"] = "bob"
    r = await secured.http.post(f"{AUTHZ}/subjectaccessreviews", json=review, headers=ADMIN)
    assert r.json()["status"]["allowed"] is False
    review["spec"] = {"resourceAttributes": {"verb": "get", "resource": "pods"}}
    r = await secured.http.post(f"{AUTHZ}/subjectaccessreviews", json=review, headers=ADMIN)
    assert r.status_code == 422 and "at least one of user or group" in r.json()["message"]


async def test_self_subject_rules_review_lists_the_callers_rules(secured: Running) -> None:
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": "a"},
    }
    r = await secured.http.post(
        f"{AUTHZ}/selfsubjectrulesreviews", json=body, headers={"kubeflow-userid": "alice"}
    )
    assert r.status_code == 201
    rules = r.json()["status"]["resourceRules"]
    assert {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]} in rules


async def test_self_subject_review_says_who_you_are(secured: Running) -> None:
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    r = await secured.http.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        json=body,
        headers={"kubeflow-userid": "alice", "kubeflow-groups": "team"},
    )
    assert r.status_code == 201
    assert r.json()["status"]["userInfo"] == {
        "username": "alice",
        "groups": ["team", "system:authenticated"],
    }
    r = await secured.http.post("/apis/authentication.k8s.io/v1/selfsubjectreviews", json=body)
    assert r.status_code == 403  # anonymous is not system:authenticated


async def test_impersonation_needs_the_impersonate_verb(secured: Running) -> None:
    as_alice = {**ADMIN, "impersonate-user": "alice"}
    r = await secured.http.get("/api/v1/namespaces/a/pods", headers=as_alice)
    assert r.status_code == 200
    r = await secured.http.get("/api/v1/pods", headers=as_alice)
    assert r.status_code == 403 and 'User "alice" cannot list' in r.json()["message"]
    r = await secured.http.get(
        "/api/v1/namespaces/a/pods",
        headers={"kubeflow-userid": "alice", "impersonate-user": "root"},
    )
    assert r.status_code == 403
    assert r.json()["message"] == (
        'users "root" is forbidden: User "alice" cannot impersonate resource "users" in API '
        'group "" at the cluster scope'
    )
