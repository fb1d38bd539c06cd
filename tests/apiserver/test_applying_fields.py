"""Field sets and managedFields of ordinary writes: the FieldsV1 trie operations,
compare, and what creates and updates own (pure functions, no server)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from pinnace.api import builtins
from pinnace.apiserver import fieldsets, managing, shapes

NOW = "2026-01-01T00:00:00Z"
LATER = "2026-01-01T00:05:00Z"

CONFIGMAP = builtins.by_kind("", "v1", "ConfigMap")
POD = builtins.by_kind("", "v1", "Pod")
assert CONFIGMAP is not None and POD is not None


def configmap(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "ns", "uid": "u", "resourceVersion": "7"},
        "data": dict(data),
    }


def track(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    *,
    now: str = NOW,
    subresource: str = "",
    kind: Any = CONFIGMAP,
) -> dict[str, Any]:
    managing.track(
        old,
        new,
        shape=shapes.root(kind),
        definition=kind.definition,
        api_version=kind.api_version,
        manager=manager,
        now=now,
        subresource=subresource,
        has_status=kind.has_status,
    )
    return new


def owners(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields", [])}


# -- the trie ----------------------------------------------------------------------

A: fieldsets.Node = {"f:spec": {"f:replicas": {}, "f:labels": {".": {}, "f:x": {}}}}
B: fieldsets.Node = {"f:spec": {"f:labels": {"f:x": {}, "f:y": {}}}}


def test_union_intersection_difference() -> None:
    assert fieldsets.union(A, B) == {
        "f:spec": {"f:replicas": {}, "f:labels": {".": {}, "f:x": {}, "f:y": {}}}
    }
    assert fieldsets.intersection(A, B) == {"f:spec": {"f:labels": {"f:x": {}}}}
    assert fieldsets.difference(A, B) == {"f:spec": {"f:replicas": {}, "f:labels": {}}}
    assert fieldsets.difference(A, A) is None
    assert fieldsets.without_subtrees(A, {"f:spec": {"f:labels": {}}}) == {
        "f:spec": {"f:replicas": {}}
    }


def test_operations_leave_their_inputs_alone() -> None:
    a, b = copy.deepcopy(A), copy.deepcopy(B)
    fieldsets.union(a, b)
    fieldsets.difference(a, b)
    fieldsets.intersection(a, b)
    assert (a, b) == (A, B)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        pytest.param({"f:spec": {"f:replicas": {}}}, [".spec.replicas"], id="field"),
        pytest.param(
            {"f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {"f:name": {}}}}},
            ['.spec.ports[port=80,protocol="TCP"].name'],
            id="key",
        ),
        pytest.param(
            {"f:metadata": {"f:finalizers": {'v:"a/b"': {}}}},
            ['.metadata.finalizers[="a/b"]'],
            id="value",
        ),
        pytest.param({"f:m": {".": {}, "f:k": {}}}, [".m", ".m.k"], id="member-with-children"),
    ],
)
def test_paths_are_printed_as_kube_prints_them(node: fieldsets.Node, expected: list[str]) -> None:
    assert fieldsets.paths(node) == expected


# -- compare -----------------------------------------------------------------------


def test_compare_finds_added_modified_and_removed() -> None:
    shape = shapes.root(CONFIGMAP)
    cmp = managing.compare(configmap(a="1", b="2"), configmap(a="9", c="3"), shape)
    assert cmp.added == {"f:data": {"f:c": {}}}
    assert cmp.modified == {"f:data": {"f:a": {}}}
    assert cmp.removed == {"f:data": {"f:b": {}}}


def test_compare_of_list_maps_goes_by_key_not_position() -> None:
    shape = shapes.root(POD)
    old = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}
    new = {"spec": {"containers": [{"name": "b", "image": "2"}, {"name": "a", "image": "1"}]}}
    cmp = managing.compare(old, new, shape)
    assert cmp.added is None and cmp.removed is None
    assert cmp.modified == {"f:spec": {"f:containers": {'k:{"name":"b"}': {"f:image": {}}}}}


# -- what writes own -----------------------------------------------------------------


def test_create_owns_everything_it_set_but_server_metadata() -> None:
    obj = configmap(a="1")
    obj["metadata"]["labels"] = {"app": "x"}
    track(None, obj, "kubectl-create")
    entry = owners(obj)["kubectl-create"]
    assert (entry["operation"], entry["apiVersion"], entry["time"]) == ("Update", "v1", NOW)
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:data": {".": {}, "f:a": {}},
    }


def test_update_takes_what_it_changed_and_merges_into_its_entry() -> None:
    created = track(None, configmap(a="1", b="2"), "creator")
    edited = track(created, {**copy.deepcopy(created), "data": {"a": "9", "b": "2"}}, "editor")
    assert owners(edited)["editor"]["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert owners(edited)["creator"]["fieldsV1"] == {"f:data": {".": {}, "f:b": {}}}
    again = track(
        edited, {**copy.deepcopy(edited), "data": {"a": "9", "b": "3"}}, "editor", now=LATER
    )
    entry = owners(again)["editor"]
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    assert entry["time"] == LATER


def test_an_unchanged_update_keeps_managed_fields_as_they_were() -> None:
    created = track(None, configmap(a="1"), "creator")
    same = track(created, copy.deepcopy(created), "someone", now=LATER)
    assert same["metadata"]["managedFields"] == created["metadata"]["managedFields"]


def test_removed_fields_leave_every_manager() -> None:
    created = track(None, configmap(a="1", b="2"), "creator")
    removed = track(created, {**copy.deepcopy(created), "data": {"a": "1"}}, "editor")
    assert "editor" not in owners(removed)
    assert owners(removed)["creator"]["fieldsV1"] == {"f:data": {".": {}, "f:a": {}}}


def test_objects_without_managed_fields_stay_untracked_and_empty_list_resets() -> None:
    untracked = track(configmap(a="1"), configmap(a="2"), "editor")
    assert "managedFields" not in untracked["metadata"]
    created = track(None, configmap(a="1"), "creator")
    reset = copy.deepcopy(created)
    reset["metadata"]["managedFields"] = []
    assert "managedFields" not in track(created, reset, "editor")["metadata"]
    omitted = copy.deepcopy(created)
    del omitted["metadata"]["managedFields"]
    kept = track(created, omitted, "editor")
    assert kept["metadata"]["managedFields"] == created["metadata"]["managedFields"]


def test_status_writes_own_status_with_the_subresource() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
        "status": {"phase": "Pending"},
    }
    created = track(None, pod, "kubectl-create", kind=POD)
    assert "f:status" not in owners(created)["kubectl-create"]["fieldsV1"]
    running = copy.deepcopy(created)
    running["status"] = {"phase": "Running"}
    updated = track(created, running, "node-agent", subresource="status", kind=POD)
    entry = owners(updated)["node-agent"]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:phase": {}}}


def test_update_managers_are_capped_into_ancient_changes() -> None:
    obj = track(None, configmap(), "creator")
    for i in range(12):
        nxt = copy.deepcopy(obj)
        nxt["data"] = {**nxt["data"], f"k{i}": "v"}
        obj = track(obj, nxt, f"writer-{i}", now=f"2026-01-01T00:00:{i + 10:02d}Z")
    names = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(names) == managing.MAX_UPDATE_MANAGERS
    assert "ancient-changes" in names
    assert "writer-11" in names


@pytest.mark.parametrize(
    ("query", "agent", "expected"),
    [
        pytest.param("mine", "kubectl/v1.32.4 (linux/amd64)", "mine", id="query"),
        pytest.param(None, "kubectl/v1.32.4 (linux/amd64)", "kubectl", id="user-agent"),
        pytest.param(None, "OpenAPI-Generator/37.0.2/python", "OpenAPI-Generator", id="python"),
    ],
)
def test_manager_name(query: str | None, agent: str, expected: str) -> None:
    assert managing.manager_name(query, agent) == expected


def _trie(paths: set[tuple[str, ...]]) -> fieldsets.Node | None:
    root: fieldsets.Node | None = None
    for path in paths:
        node: fieldsets.Node | None = {}
        for element in reversed(path[1:]):
            node = {element: node}
        root = fieldsets.union(root, {path[0]: node} if path else None)
    return root


@pytest.mark.parametrize("seed", range(30))
def test_set_operations_agree_with_sets_of_paths(seed: int) -> None:
    rng = random.Random(seed)
    elements = ["f:a", "f:b", 'k:{"name":"c"}', 'v:"d"']

    def some() -> set[tuple[str, ...]]:
        return {
            tuple(rng.choice(elements) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(0, 6))
        }

    a, b = some(), some()

    def printed(paths: set[tuple[str, ...]]) -> list[str]:
        return sorted("".join(fieldsets.element_string(e) for e in p) for p in paths)

    assert sorted(fieldsets.paths(_trie(a))) == printed(a)
    assert sorted(fieldsets.paths(fieldsets.union(_trie(a), _trie(b)))) == printed(a | b)
    assert sorted(fieldsets.paths(fieldsets.difference(_trie(a), _trie(b)))) == printed(a - b)
    assert sorted(fieldsets.paths(fieldsets.intersection(_trie(a), _trie(b)))) == printed(a & b)


DEPLOYMENT = builtins.by_kind("apps", "v1", "Deployment")


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        pytest.param(CONFIGMAP, {**configmap(a="1"), "binaryData": {}}, id="configmap"),
        pytest.param(
            POD,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"a": "b"}, "finalizers": ["x/y"]},
                "spec": {
                    "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}]
                },
                "status": {"phase": "Pending"},
            },
            id="pod",
        ),
        pytest.param(
            DEPLOYMENT,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d", "annotations": {}},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}}, "template": {}},
            },
            id="deployment",
        ),
    ],
)
def test_the_create_walk_agrees_with_a_compare(kind: Any, obj: dict[str, Any]) -> None:
    fast = track(None, copy.deepcopy(obj), "maker", kind=kind)["metadata"]["managedFields"]
    added = managing.compare(managing.skeleton(kind.definition), obj, shapes.root(kind)).added
    slow = managing.ownable(added, has_status=kind.has_status, subresource="")
    assert fast[0]["fieldsV1"] == slow
