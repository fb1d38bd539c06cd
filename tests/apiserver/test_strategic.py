from __future__ import annotations

import copy
from typing import Any

import pytest

from pinnace.apiserver import strategic

POD = "io.k8s.api.core.v1.Pod"
DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
SERVICE = "io.k8s.api.core.v1.Service"
CONFIGMAP = "io.k8s.api.core.v1.ConfigMap"


def pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"]},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "old",
                    "args": ["a", "b"],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80}],
                },
                {"name": "side", "image": "s"},
            ],
            "volumes": [{"name": "v", "emptyDir": {}}],
        },
    }


def test_containers_merge_by_name_and_inputs_are_untouched() -> None:
    current = pod()
    before = copy.deepcopy(current)
    patch = {"spec": {"containers": [{"name": "main", "image": "new"}]}}
    out = strategic.apply(current, patch, POD)
    assert current == before
    main, side = out["spec"]["containers"]
    assert main["image"] == "new"
    assert main["args"] == ["a", "b"]
    assert side == {"name": "side", "image": "s"}


def test_kubectl_apply_three_way_patch() -> None:
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {
            "$setElementOrder/containers": [{"name": "main"}],
            "containers": [
                {
                    "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                    "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "B"}],
                    "name": "main",
                    "args": ["z"],
                },
                {"$patch": "delete", "name": "side"},
            ],
        },
    }
    out = strategic.apply(pod(), patch, POD)
    (main,) = out["spec"]["containers"]
    assert main["env"] == [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]
    assert main["args"] == ["z"]  # an atomic list is replaced
    assert out["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": "{}"
    }
    assert "$setElementOrder/containers" not in out["spec"]


def test_set_element_order_reorders() -> None:
    patch = {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "main"}]}}
    out = strategic.apply(pod(), patch, POD)
    assert [c["name"] for c in out["spec"]["containers"]] == ["side", "main"]
    added = {
        "spec": {
            "$setElementOrder/containers": [{"name": "main"}, {"name": "new"}, {"name": "side"}],
            "containers": [{"name": "new", "image": "n"}],
        }
    }
    out = strategic.apply(pod(), added, POD)
    assert [c["name"] for c in out["spec"]["containers"]] == ["main", "new", "side"]


def test_new_items_come_first_without_an_order_directive() -> None:
    # apimachinery's mergeSortedSlice puts patch items not in the live list first
    out = strategic.apply(pod(), {"spec": {"containers": [{"name": "z", "image": "z"}]}}, POD)
    assert [c["name"] for c in out["spec"]["containers"]] == ["z", "main", "side"]


def test_finalizers_are_a_merged_primitive_list() -> None:
    out = strategic.apply(pod(), {"metadata": {"finalizers": ["z", "x"]}}, POD)
    assert sorted(out["metadata"]["finalizers"]) == ["x", "y", "z"]
    out = strategic.apply(
        pod(),
        {
            "metadata": {
                "$setElementOrder/finalizers": ["y"],
                "$deleteFromPrimitiveList/finalizers": ["x"],
            }
        },
        POD,
    )
    assert out["metadata"]["finalizers"] == ["y"]


def test_null_deletes_and_labels_merge() -> None:
    out = strategic.apply(pod(), {"metadata": {"labels": {"a": None, "c": "3"}}}, POD)
    assert out["metadata"]["labels"] == {"b": "2", "c": "3"}


def test_retain_keys_on_volumes() -> None:
    patch = {
        "spec": {
            "volumes": [
                {"$retainKeys": ["configMap", "name"], "name": "v", "configMap": {"name": "c"}}
            ]
        }
    }
    out = strategic.apply(pod(), patch, POD)
    assert out["spec"]["volumes"] == [{"name": "v", "configMap": {"name": "c"}}]


def test_deployment_strategy_retain_keys() -> None:
    current = {
        "spec": {
            "replicas": 1,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
        }
    }
    patch = {
        "spec": {
            "replicas": 3,
            "strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"},
        }
    }
    out = strategic.apply(current, patch, DEPLOYMENT)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    assert out["spec"]["replicas"] == 3
    assert out["spec"]["template"] == current["spec"]["template"]


def test_replace_directives() -> None:
    out = strategic.apply(pod(), {"metadata": {"labels": {"$patch": "replace", "z": "9"}}}, POD)
    assert out["metadata"]["labels"] == {"z": "9"}
    patch = {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "o"}]}}
    out = strategic.apply(pod(), patch, POD)
    assert out["spec"]["containers"] == [{"name": "only", "image": "o"}]
    out = strategic.apply(pod(), {"spec": {"$patch": "delete"}}, POD)
    assert out["spec"] == {}
    out = strategic.apply(pod(), {"metadata": {"$patch": "merge", "labels": {"c": "3"}}}, POD)
    assert out["metadata"]["labels"] == {"a": "1", "b": "2", "c": "3"}


def test_service_ports_merge_by_port() -> None:
    current = {
        "spec": {
            "selector": {"app": "x"},
            "ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}],
        }
    }
    out = strategic.apply(current, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, SERVICE)
    assert out["spec"]["ports"] == [
        {"port": 80, "targetPort": 9090},
        {"port": 443, "targetPort": 8443},
    ]
    assert out["spec"]["selector"] == {"app": "x"}


def test_configmap_data() -> None:
    current = {"data": {"a": "1", "b": "2"}}
    out = strategic.apply(current, {"data": {"a": None, "c": "3"}}, CONFIGMAP)
    assert out == {"data": {"b": "2", "c": "3"}}


@pytest.mark.parametrize(
    ("patch", "match"),
    [
        pytest.param(
            {"spec": {"containers": [{"image": "x"}]}},
            "does not contain declared merge key: name",
            id="no-merge-key",
        ),
        pytest.param(
            {"spec": {"$patch": "explode"}}, "unknown patch type: explode", id="bad-patch"
        ),
        pytest.param(
            {"spec": {"containers": [{"$patch": "merge", "name": "main"}]}},
            "merging lists cannot yet be specified",
            id="list-merge",
        ),
        pytest.param(
            {"spec": {"$setElementOrder/containers": "main"}}, "expected a list", id="order-type"
        ),
        pytest.param(
            {"metadata": {"$deleteFromPrimitiveList/finalizers": "x"}},
            "expected a list",
            id="delete-list-type",
        ),
        pytest.param(
            {"metadata": {"finalizers": [{"a": 1}]}}, "not all of the same type", id="mixed"
        ),
        pytest.param({"metadata": {"$retainKeys": "x"}}, "retainKeys", id="retain-type"),
    ],
)
def test_malformed_patches(patch: dict[str, Any], match: str) -> None:
    with pytest.raises(strategic.PatchError, match=match):
        strategic.apply(pod(), patch, POD)


def test_without_schema_lists_are_replaced() -> None:
    out = strategic.apply({"a": [1, 2], "b": {"c": 1}}, {"a": [3], "b": {"d": 2}}, None)
    assert out == {"a": [3], "b": {"c": 1, "d": 2}}
