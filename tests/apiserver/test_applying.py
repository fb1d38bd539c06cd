"""Server-side apply as pure functions: merge by the schema's list types, ownership,
pruning, conflicts and force, the client-side-apply upgrade path."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pinnace.api import builtins
from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import applying, managing, shapes

NOW = "2026-01-01T00:00:00Z"
LATER = "2026-01-01T00:01:00Z"


def info(group: str, kind: str) -> ResourceInfo:
    found = builtins.by_kind(group, "v1", kind)
    assert found is not None
    return found


DEPLOYMENT = info("apps", "Deployment")
CONFIGMAP = info("", "ConfigMap")


def deployment(replicas: int = 1, *containers: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": list(containers) or [{"name": "main", "image": "a:1"}]},
            },
        },
    }


def run(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    manager: str,
    *,
    kind: ResourceInfo = DEPLOYMENT,
    force: bool = False,
    now: str = NOW,
) -> dict[str, Any]:
    request = applying.Request(
        config=config,
        manager=manager,
        api_version=kind.api_version,
        force=force,
        has_status=kind.has_status,
    )
    return applying.apply(live, request, shape=shapes.root(kind), now=now)


def owners(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields", [])}


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(obj["spec"]["template"]["spec"]["containers"])


def test_create_owns_exactly_the_configured_fields() -> None:
    obj = run(None, deployment(2), "a")
    entry = owners(obj)["a"]
    assert (entry["operation"], entry["apiVersion"], entry["time"]) == ("Apply", "apps/v1", NOW)
    assert entry["fieldsType"] == "FieldsV1"
    assert entry["fieldsV1"] == {
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},  # LabelSelector is an atomic map
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {'k:{"name":"main"}': {".": {}, "f:name": {}, "f:image": {}}}
                },
            },
        }
    }


def test_reapply_changes_nothing_not_even_the_time() -> None:
    first = run(None, deployment(2), "a")
    again = run(first, deployment(2), "a", now=LATER)
    assert again == first


def test_list_map_items_merge_by_key_in_the_configured_order() -> None:
    live = run(
        None, deployment(1, {"name": "b", "image": "b:1"}, {"name": "c", "image": "c:1"}), "x"
    )
    config = deployment(1, {"name": "a", "image": "a:1"}, {"name": "c", "image": "c:1"})
    merged = run(live, config, "y")
    assert [(c["name"], c["image"]) for c in containers(merged)] == [
        ("b", "b:1"),
        ("a", "a:1"),
        ("c", "c:1"),
    ]


def test_conflict_names_the_manager_and_the_field() -> None:
    live = run(None, deployment(1), "a")
    with pytest.raises(applying.Conflicts) as raised:
        run(live, deployment(3), "b")
    assert raised.value.message == 'Apply failed with 1 conflict: conflict with "a": .spec.replicas'
    assert raised.value.causes() == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "a"',
            "field": ".spec.replicas",
        }
    ]


def test_conflicts_with_several_fields_are_listed_per_manager() -> None:
    live = run(None, deployment(1), "a")
    config = deployment(3, {"name": "main", "image": "a:2"})
    with pytest.raises(applying.Conflicts) as raised:
        run(live, config, "b")
    assert raised.value.message == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="main"].image'
    )


def test_force_takes_the_field_and_equal_values_are_shared() -> None:
    live = run(None, deployment(1), "a")
    forced = run(live, deployment(3), "b", force=True)
    assert forced["spec"]["replicas"] == 3
    a, b = owners(forced)["a"]["fieldsV1"]["f:spec"], owners(forced)["b"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in a
    assert "f:replicas" in b
    assert a["f:template"] == b["f:template"]


def test_fields_no_longer_applied_are_removed_unless_someone_else_owns_them() -> None:
    two = deployment(1, {"name": "main", "image": "a:1"}, {"name": "side", "image": "s:1"})
    live = run(None, two, "a")
    pruned = run(live, deployment(1), "a")
    assert [c["name"] for c in containers(pruned)] == ["main"]

    shared = run(live, two, "b")
    kept = run(shared, deployment(1), "a")
    assert [c["name"] for c in containers(kept)] == ["main", "side"]


def test_an_update_takes_fields_from_the_applier() -> None:
    live = run(None, deployment(1), "a")
    scaled = json.loads(json.dumps(live))
    scaled["spec"]["replicas"] = 5
    shape = shapes.root(DEPLOYMENT)
    managing.track(
        live,
        scaled,
        shape=shape,
        definition=DEPLOYMENT.definition,
        api_version="apps/v1",
        manager="kubectl-scale",
        now=LATER,
        has_status=True,
    )
    mine = owners(scaled)
    assert mine["kubectl-scale"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert mine["kubectl-scale"]["operation"] == "Update"
    with pytest.raises(applying.Conflicts) as raised:
        run(scaled, deployment(1), "a")
    assert raised.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas'
    )


def test_objects_without_managed_fields_are_owned_before_first_apply() -> None:
    live = deployment(1)
    with pytest.raises(applying.Conflicts) as raised:
        run(live, deployment(2), "a")
    assert (
        'conflict with "before-first-apply" using apps/v1: .spec.replicas' in raised.value.message
    )
    same = run(live, deployment(1), "a")
    assert set(owners(same)) == {"a", "before-first-apply"}


def test_kubectl_upgrades_from_client_side_apply() -> None:
    config = deployment(1)
    live = json.loads(json.dumps(config))
    live["metadata"]["annotations"] = {applying.LAST_APPLIED: json.dumps(config)}
    managing.track(
        None,
        live,
        shape=shapes.root(DEPLOYMENT),
        definition=DEPLOYMENT.definition,
        api_version="apps/v1",
        manager="kubectl-client-side-apply",
        now=NOW,
        has_status=True,
    )
    with pytest.raises(applying.Conflicts):
        run(live, deployment(2), "someone")
    upgraded = run(live, deployment(2), "kubectl")
    assert upgraded["spec"]["replicas"] == 2
    last = json.loads(upgraded["metadata"]["annotations"][applying.LAST_APPLIED])
    assert last["spec"]["replicas"] == 2


def test_status_of_the_main_resource_is_not_applied() -> None:
    config = {**deployment(1), "status": {"replicas": 9}}
    obj = run(None, config, "a")
    assert "status" not in obj
    assert "f:status" not in owners(obj)["a"]["fieldsV1"]


@pytest.mark.parametrize(
    ("containers_", "message"),
    [
        pytest.param(
            [{"image": "a:1"}],
            "associative list with keys has an element that omits all key fields",
            id="no-key",
        ),
        pytest.param(
            [{"name": "a", "image": "a:1"}, {"name": "a", "image": "a:2"}],
            'duplicate entries for key [name="a"]',
            id="duplicate",
        ),
    ],
)
def test_items_a_list_map_cannot_key_are_refused(
    containers_: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(applying.ApplyError, match=re.escape(message)):
        run(None, deployment(1, *containers_), "a")


def test_managed_fields_in_the_configuration_are_refused() -> None:
    config = deployment(1)
    config["metadata"]["managedFields"] = []
    with pytest.raises(applying.ApplyError, match=re.escape("metadata.managedFields must be nil")):
        run(None, config, "a")


def test_null_removes_a_field_the_applier_owns() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    live = run(None, {**cm, "data": {"a": "1", "b": "2"}}, "x", kind=CONFIGMAP)
    cleared = run(live, {**cm, "data": {"a": "1", "b": None}}, "x", kind=CONFIGMAP)
    assert cleared["data"] == {"a": "1"}
