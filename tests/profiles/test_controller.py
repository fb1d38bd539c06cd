"""The Profile controller on the real in-process API server: upstream's children, owned."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pinnace.api import kinds
from pinnace.controllers import conditions, manager, running
from pinnace.kits.kube import clients, errors
from pinnace.kits.kube.objects import Object
from pinnace.profiles import controller, roles


async def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (answer := await check()):  # noqa: ASYNC110 (polling the API)
            await asyncio.sleep(0.01)
    return answer


def profile(name: str, owner: str = "user-a@example.com", **spec: Any) -> Object:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Profile",
        "metadata": {"name": name},
        "spec": {"owner": {"kind": "User", "name": owner}, **spec},
    }


async def maybe(coro: Any) -> Object | None:
    try:
        result: Object = await coro
    except errors.NotFound:
        return None
    return result


def ready(obj: Object | None) -> Object | None:
    return conditions.find(((obj or {}).get("status") or {}).get("conditions"), "Ready")


async def ready_profile(kube: clients.Client, name: str, status: str = "True") -> Object:
    async def check() -> Object | None:
        obj = await maybe(kube.get(kinds.PROFILES, name))
        cond = ready(obj)
        return obj if cond and cond["status"] == status else None

    result: Object = await until(check)
    return result


def controller_of(m: manager.Manager) -> running.Controller:
    return next(
        c for c in m.controllers if isinstance(c, running.Controller) and c.name == "profile"
    )


async def test_a_profile_gets_its_namespace_accounts_and_bindings(
    real_kube: clients.Client, mgr: manager.Manager
) -> None:
    owner = await real_kube.create(kinds.PROFILES, profile("team-a"))
    done = await ready_profile(real_kube, "team-a")
    assert ready(done)["reason"] == "ProfileReady"  # type: ignore[index]

    ns = await real_kube.get(kinds.NAMESPACES, "team-a")
    assert ns["metadata"]["labels"] | controller.NAMESPACE_LABELS == ns["metadata"]["labels"]
    assert ns["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kubeflow-profile"
    assert ns["metadata"]["annotations"]["owner"] == "user-a@example.com"
    assert ns["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]

    for sa in ("default-editor", "default-viewer"):
        got = await real_kube.get(kinds.SERVICEACCOUNTS, sa, namespace="team-a")
        assert got["metadata"]["ownerReferences"][0]["kind"] == "Profile"
    admin = await real_kube.get(kinds.ROLEBINDINGS, "namespaceAdmin", namespace="team-a")
    assert admin["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "kubeflow-admin",
    }
    assert admin["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "user-a@example.com"}
    ]
    assert admin["metadata"]["annotations"] == {"user": "user-a@example.com", "role": "admin"}
    editor = await real_kube.get(kinds.ROLEBINDINGS, "default-editor", namespace="team-a")
    assert editor["roleRef"]["name"] == "kubeflow-edit"
    assert editor["subjects"] == [
        {"kind": "ServiceAccount", "name": "default-editor", "namespace": "team-a"}
    ]
    viewer = await real_kube.get(kinds.ROLEBINDINGS, "default-viewer", namespace="team-a")
    assert viewer["roleRef"]["name"] == "kubeflow-view"
    assert (
        await maybe(real_kube.get(kinds.RESOURCEQUOTAS, "kf-resource-quota", namespace="team-a"))
        is None
    )

    # steady state: a second pass writes nothing
    versions = {
        rb["metadata"]["name"]: rb["metadata"]["resourceVersion"]
        for rb in (await real_kube.list(kinds.ROLEBINDINGS, namespace="team-a")).items
    }
    ctl = controller_of(mgr)
    ctl.queue.add(("", "team-a"))  # type: ignore[arg-type]
    await until(lambda: _idle(ctl))
    again = await real_kube.get(kinds.PROFILES, "team-a")
    assert again["metadata"]["resourceVersion"] == done["metadata"]["resourceVersion"]
    after = {
        rb["metadata"]["name"]: rb["metadata"]["resourceVersion"]
        for rb in (await real_kube.list(kinds.ROLEBINDINGS, namespace="team-a")).items
    }
    assert after == versions


async def _idle(ctl: running.Controller) -> bool:
    return ctl.queue.idle()


async def test_the_cluster_roles_are_installed_with_upstream_aggregation(
    real_kube: clients.Client, mgr: manager.Manager
) -> None:
    admin = await real_kube.get(kinds.CLUSTERROLES, "kubeflow-admin")
    edit = await real_kube.get(kinds.CLUSTERROLES, "kubeflow-edit")
    view = await real_kube.get(kinds.CLUSTERROLES, "kubeflow-view")
    select = "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-"
    assert admin["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {select + "admin": "true"}}
    ]
    assert edit["metadata"]["labels"][select + "admin"] == "true"
    assert edit["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {select + "edit": "true"}}
    ]
    assert view["metadata"]["labels"][select + "edit"] == "true"
    component = await real_kube.get(kinds.CLUSTERROLES, "kubeflow-kubernetes-edit")
    assert component["metadata"]["labels"][select + "edit"] == "true"
    assert {"pods"} <= set(component["rules"][0]["resources"])
    # a drifted role is put back the next start
    await real_kube.patch(kinds.CLUSTERROLES, "kubeflow-view", {"aggregationRule": None})
    await roles.install(real_kube)
    back = await real_kube.get(kinds.CLUSTERROLES, "kubeflow-view")
    assert back["aggregationRule"] == view["aggregationRule"]


async def test_the_quota_follows_the_spec(real_kube: clients.Client, mgr: manager.Manager) -> None:
    quota = {"hard": {"cpu": "2", "memory": "4Gi", "pods": "10"}}
    await real_kube.create(kinds.PROFILES, profile("team-q", resourceQuotaSpec=quota))
    await ready_profile(real_kube, "team-q")
    got = await until(
        lambda: maybe(real_kube.get(kinds.RESOURCEQUOTAS, "kf-resource-quota", namespace="team-q"))
    )
    assert got["spec"]["hard"] == quota["hard"]
    assert got["metadata"]["ownerReferences"][0]["kind"] == "Profile"

    await real_kube.patch(
        kinds.PROFILES,
        "team-q",
        {"spec": {"resourceQuotaSpec": {"hard": {"cpu": None, "memory": None, "pods": "3"}}}},
    )

    async def narrowed() -> bool:
        q = await maybe(
            real_kube.get(kinds.RESOURCEQUOTAS, "kf-resource-quota", namespace="team-q")
        )
        return q is not None and q["spec"]["hard"] == {"pods": "3"}

    await until(narrowed)
    await real_kube.patch(kinds.PROFILES, "team-q", {"spec": {"resourceQuotaSpec": None}})

    async def gone() -> bool:
        q = await maybe(
            real_kube.get(kinds.RESOURCEQUOTAS, "kf-resource-quota", namespace="team-q")
        )
        return q is None

    await until(gone)


async def test_deleting_the_profile_removes_the_namespace(
    real_kube: clients.Client, mgr: manager.Manager
) -> None:
    await real_kube.create(kinds.PROFILES, profile("team-d"))
    await ready_profile(real_kube, "team-d")
    await real_kube.delete(kinds.PROFILES, "team-d")

    async def gone() -> bool:
        return await maybe(real_kube.get(kinds.NAMESPACES, "team-d")) is None

    await until(gone, timeout=10)


async def test_a_namespace_of_another_owner_is_a_terminal_error(
    real_kube: clients.Client, mgr: manager.Manager
) -> None:
    await real_kube.create(
        kinds.NAMESPACES,
        {"metadata": {"name": "taken", "annotations": {"owner": "someone@example.com"}}},
    )
    await real_kube.create(kinds.PROFILES, profile("taken"))
    failed = await ready_profile(real_kube, "taken", status="False")
    cond = ready(failed)
    assert cond is not None and cond["reason"] == "NamespaceOwnedByOther"
    assert "not owned by profile creator user-a@example.com" in cond["message"]
    ns = await real_kube.get(kinds.NAMESPACES, "taken")
    assert "ownerReferences" not in ns["metadata"]
    ctl = controller_of(mgr)
    await until(lambda: _idle(ctl))
    assert ctl.queue.failures(("", "taken")) == 0  # type: ignore[arg-type]


async def test_a_namespace_annotated_for_the_same_owner_is_adopted(
    real_kube: clients.Client, mgr: manager.Manager
) -> None:
    await real_kube.create(
        kinds.NAMESPACES,
        {"metadata": {"name": "mine", "annotations": {"owner": "user-a@example.com"}}},
    )
    await real_kube.create(kinds.PROFILES, profile("mine"))
    await ready_profile(real_kube, "mine")
    ns = await real_kube.get(kinds.NAMESPACES, "mine")
    assert ns["metadata"]["ownerReferences"][0]["kind"] == "Profile"
    assert ns["metadata"]["labels"]["pipelines.kubeflow.org/enabled"] == "true"


@pytest.mark.parametrize("spec", [{}, {"owner": {"kind": "User", "name": ""}}])
async def test_a_profile_without_an_owner_fails(
    real_kube: clients.Client, mgr: manager.Manager, spec: Object
) -> None:
    body = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "nobody"}}
    if spec:
        body["spec"] = spec
    await real_kube.create(kinds.PROFILES, body)
    failed = await ready_profile(real_kube, "nobody", status="False")
    assert ready(failed)["reason"] == "InvalidSpec"  # type: ignore[index]
    assert await maybe(real_kube.get(kinds.NAMESPACES, "nobody")) is None
