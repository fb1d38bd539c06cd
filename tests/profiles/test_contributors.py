"""Contributor RoleBindings, named and annotated as KFAM makes them."""

from __future__ import annotations

import pytest

from pinnace.api import kinds
from pinnace.kits.kube import clients, errors
from pinnace.profiles import contributors


@pytest.mark.parametrize(
    ("user", "role", "name"),
    [
        ("a@b.example.com", contributors.Role.EDIT, "user-a-b-example-com-clusterrole-edit"),
        ("user-b@example.com", contributors.Role.VIEW, "user-user-b-example-com-clusterrole-view"),
        ("Mixed.Case@x.io", contributors.Role.VIEW, "user-ixed-ase-x-io-clusterrole-view"),
    ],
)
def test_binding_names_are_kfams(user: str, role: contributors.Role, name: str) -> None:
    assert contributors.binding_name(user, role) == name


async def test_add_list_remove(real_kube: clients.Client) -> None:
    await real_kube.create(
        kinds.PROFILES,
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Profile",
            "metadata": {"name": "team"},
            "spec": {"owner": {"kind": "User", "name": "a@example.com"}},
        },
    )
    await real_kube.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    rb = await contributors.add(real_kube, "team", "b@example.com", contributors.Role.VIEW)
    assert rb["metadata"]["name"] == "user-b-example-com-clusterrole-view"
    assert rb["metadata"]["annotations"] == {"user": "b@example.com", "role": "view"}
    assert rb["roleRef"]["name"] == "kubeflow-view"
    assert rb["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "b@example.com"}
    ]
    again = await contributors.add(real_kube, "team", "b@example.com", contributors.Role.VIEW)
    assert again["metadata"]["uid"] == rb["metadata"]["uid"]
    assert await contributors.listed(real_kube, "team") == [("b@example.com", "view")]
    assert await contributors.remove(real_kube, "team", "b@example.com") == [rb["metadata"]["name"]]
    assert await contributors.listed(real_kube, "team") == []
    with pytest.raises(errors.NotFound):
        await contributors.add(real_kube, "nope", "b@example.com", contributors.Role.EDIT)
