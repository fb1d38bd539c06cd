"""Create-or-update of owned children on the real API server: outcomes, drift, ownership."""

from __future__ import annotations

import pytest

from pinnace.api import kinds
from pinnace.controllers import owning
from pinnace.kits.kube import clients, objects
from pinnace.kits.kube.objects import Object, ObjectKey


async def _owner(kube: clients.KubeApi, name: str = "owner") -> Object:
    return await kube.create(
        kinds.CONFIGMAPS, {"metadata": {"name": name, "namespace": "ns"}, "data": {}}
    )


def service(port: int = 80) -> Object:
    return {
        "metadata": {"name": "svc", "labels": {"app": "a"}},
        "spec": {"selector": {"app": "a"}, "ports": [{"port": port}]},
    }


async def test_ensure_creates_then_leaves_server_defaults_alone(kube: clients.KubeApi) -> None:
    owner = await _owner(kube)
    created = await owning.ensure(kube, kinds.SERVICES, owner, service())
    assert created.outcome is owning.Outcome.CREATED
    assert objects.controller_uid(created.object) == objects.uid_of(owner)
    assert objects.namespace_of(created.object) == "ns"
    assert created.object["spec"]["ports"][0]["protocol"] == "TCP"  # filled by the server
    again = await owning.ensure(kube, kinds.SERVICES, owner, service())
    assert again.outcome is owning.Outcome.UNCHANGED
    assert objects.resource_version_of(again.object) == objects.resource_version_of(created.object)


async def test_ensure_patches_only_what_it_sets(kube: clients.KubeApi) -> None:
    owner = await _owner(kube)
    await owning.ensure(kube, kinds.SERVICES, owner, service())
    await kube.patch(
        kinds.SERVICES, "svc", {"metadata": {"annotations": {"by": "user"}}}, namespace="ns"
    )
    updated = await owning.ensure(kube, kinds.SERVICES, owner, service(8080))
    assert updated.outcome is owning.Outcome.UPDATED
    assert updated.object["spec"]["ports"][0]["port"] == 8080
    assert updated.object["metadata"]["annotations"] == {"by": "user"}
    assert updated.object["spec"]["clusterIP"]  # kept, not reset


async def test_mutate_can_drop_fields_and_reports_outcomes(kube: clients.KubeApi) -> None:
    owner = await _owner(kube)
    key = ObjectKey("ns", "cfg")

    def two(obj: Object) -> None:
        obj["data"] = {"a": "1", "b": "2"}

    def one(obj: Object) -> None:
        obj["data"] = {"a": "1"}

    assert (await owning.mutate(kube, kinds.CONFIGMAPS, owner, key, two)).outcome == "Created"
    assert (await owning.mutate(kube, kinds.CONFIGMAPS, owner, key, two)).outcome == ("Unchanged")
    dropped = await owning.mutate(kube, kinds.CONFIGMAPS, owner, key, one)
    assert dropped.outcome is owning.Outcome.UPDATED
    assert dropped.object["data"] == {"a": "1"}


async def test_a_child_controlled_by_another_owner_is_refused(kube: clients.KubeApi) -> None:
    first, second = await _owner(kube, "first"), await _owner(kube, "second")
    await owning.ensure(kube, kinds.SERVICES, first, service())
    with pytest.raises(owning.AlreadyOwned) as caught:
        await owning.ensure(kube, kinds.SERVICES, second, service(81))
    assert caught.value.reason == "AlreadyOwned"
    assert "ConfigMap first" in caught.value.message
    current = await kube.get(kinds.SERVICES, "svc", namespace="ns")
    assert current["spec"]["ports"][0]["port"] == 80


async def test_an_orphan_is_refused_unless_adopted(kube: clients.KubeApi) -> None:
    owner = await _owner(kube)
    await kube.create(
        kinds.CONFIGMAPS, {"metadata": {"name": "cfg", "namespace": "ns"}, "data": {"x": "1"}}
    )
    desired = {"metadata": {"name": "cfg"}, "data": {"x": "2"}}
    with pytest.raises(owning.AlreadyOwned):
        await owning.ensure(kube, kinds.CONFIGMAPS, owner, desired)
    adopted = await owning.ensure(kube, kinds.CONFIGMAPS, owner, desired, adopt=True)
    assert adopted.outcome is owning.Outcome.UPDATED
    assert objects.controller_uid(adopted.object) == objects.uid_of(owner)
    assert adopted.object["data"] == {"x": "2"}


async def test_a_stale_cache_create_falls_back_to_the_live_object(
    kube: clients.KubeApi,
) -> None:
    from pinnace.kits.kube import informers

    owner = await _owner(kube)
    empty = informers.Informer(kube, kinds.SERVICES)  # never started: always empty
    await owning.ensure(kube, kinds.SERVICES, owner, service())
    again = await owning.ensure(kube, kinds.SERVICES, owner, service(), cache=empty)
    assert again.outcome is owning.Outcome.UNCHANGED


@pytest.mark.parametrize(
    ("actual", "wanted", "expected"),
    [
        pytest.param({"a": 1, "b": 2}, {"a": 1}, True, id="extra-fields-ignored"),
        pytest.param({"a": 1}, {"a": 2}, False, id="changed-value"),
        pytest.param([{"p": 1, "d": "TCP"}], [{"p": 1}], True, id="defaulted-list-item"),
        pytest.param([{"p": 1}, {"p": 2}], [{"p": 1}], False, id="list-length"),
        pytest.param({}, {"a": 1}, False, id="missing-key"),
        pytest.param({}, {"a": {}, "b": [], "c": None}, True, id="omitted-empties"),
        pytest.param({}, {"a": 0}, False, id="zero-is-a-value"),
        pytest.param({"a": [1]}, {"a": []}, False, id="emptied-list"),
    ],
)
def test_covers(actual: object, wanted: object, expected: bool) -> None:
    assert owning.covers(actual, wanted) is expected


async def test_a_cluster_scoped_owner_names_the_namespace(kube: clients.KubeApi) -> None:
    owner = await kube.create(kinds.NAMESPACES, {"metadata": {"name": "team"}})
    with pytest.raises(ValueError, match=r"needs metadata\.namespace"):
        await owning.ensure(kube, kinds.CONFIGMAPS, owner, {"metadata": {"name": "c"}})
    placed = await owning.ensure(
        kube, kinds.CONFIGMAPS, owner, {"metadata": {"name": "c", "namespace": "team"}}
    )
    assert placed.outcome is owning.Outcome.CREATED
    assert objects.key_of(placed.object) == ObjectKey("team", "c")


async def test_a_workload_with_empty_fields_and_server_defaults_is_stable(
    kube: clients.KubeApi,
) -> None:
    owner = await _owner(kube)
    desired = {
        "metadata": {"name": "web", "labels": {}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": {}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "python:3.11",
                            "env": [],
                            "resources": {},
                            "ports": [{"containerPort": 8888}],
                        }
                    ],
                    "volumes": [],
                },
            },
        },
    }
    created = await owning.ensure(kube, kinds.STATEFULSETS, owner, desired)
    assert created.outcome is owning.Outcome.CREATED
    again = await owning.ensure(kube, kinds.STATEFULSETS, owner, desired)
    assert again.outcome is owning.Outcome.UNCHANGED, again.object
