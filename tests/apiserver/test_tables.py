from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pinnace.api import builtins, infos
from pinnace.apiserver import tables
from pinnace.kits.kube.resources import ResourceType

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
CREATED = "2025-01-01T11:55:00Z"  # 5m before NOW


def pod(status: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "creationTimestamp": CREATED},
        "spec": {"containers": [{"name": "c"}], **spec},
        "status": status,
    }


RUNNING = {"running": {"startedAt": CREATED}}


@pytest.mark.parametrize(
    ("status", "spec", "ready", "shown", "restarts"),
    [
        pytest.param({"phase": "Pending"}, {}, "0/1", "Pending", "0", id="pending"),
        pytest.param(
            {
                "phase": "Pending",
                "containerStatuses": [
                    {
                        "name": "c",
                        "ready": False,
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                    }
                ],
            },
            {},
            "0/1",
            "ContainerCreating",
            "0",
            id="creating",
        ),
        pytest.param(
            {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "c", "ready": True, "state": RUNNING}],
            },
            {},
            "1/1",
            "Running",
            "0",
            id="running",
        ),
        pytest.param(
            {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "c",
                        "ready": False,
                        "restartCount": 2,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {
                            "terminated": {"exitCode": 1, "finishedAt": "2025-01-01T11:59:55Z"}
                        },
                    }
                ],
            },
            {},
            "0/1",
            "CrashLoopBackOff",
            "2 (5s ago)",
            id="crashloop",
        ),
        pytest.param(
            {
                "phase": "Succeeded",
                "containerStatuses": [
                    {"name": "c", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
                ],
            },
            {},
            "0/1",
            "Completed",
            "0",
            id="completed",
        ),
        pytest.param(
            {
                "phase": "Failed",
                "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 3}}}],
            },
            {},
            "0/1",
            "ExitCode:3",
            "0",
            id="exit-code",
        ),
        pytest.param(
            {
                "phase": "Pending",
                "initContainerStatuses": [
                    {"name": "i", "state": {"waiting": {"reason": "PodInitializing"}}}
                ],
            },
            {"initContainers": [{"name": "i"}]},
            "0/1",
            "Init:0/1",
            "0",
            id="init",
        ),
        pytest.param(
            {
                "phase": "Pending",
                "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 2}}}],
            },
            {"initContainers": [{"name": "i"}]},
            "0/1",
            "Init:ExitCode:2",
            "0",
            id="init-failed",
        ),
    ],
)
def test_pod_status(
    status: dict[str, Any], spec: dict[str, Any], ready: str, shown: str, restarts: str
) -> None:
    row = tables.row_for(builtins.PODS, pod(status, **spec), now=NOW)
    assert row["cells"][:5] == ["p", ready, shown, restarts, "5m"]


def test_pod_terminating_wide_cells_and_object() -> None:
    obj = pod(
        {"phase": "Running", "podIP": "127.0.0.5"},
        nodeName="local",
        readinessGates=[{"conditionType": "x"}],
    )
    obj["metadata"]["deletionTimestamp"] = CREATED
    row = tables.row_for(builtins.PODS, obj, now=NOW)
    assert row["cells"][2] == "Terminating"
    assert row["cells"][5:] == ["127.0.0.5", "local", "<none>", "0/1"]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }
    columns = tables.columns_for(builtins.PODS)
    assert [c["name"] for c in columns if c["priority"] == 0] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    assert [c["name"] for c in columns if c["priority"] == 1] == [
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]


def meta(name: str = "x") -> dict[str, Any]:
    return {"name": name, "namespace": "default", "creationTimestamp": CREATED}


@pytest.mark.parametrize(
    ("info", "obj", "cells"),
    [
        pytest.param(
            builtins.DEPLOYMENTS,
            {
                "metadata": meta(),
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app": "x"}},
                    "template": {"spec": {"containers": [{"name": "c", "image": "img"}]}},
                },
                "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
            },
            ["x", "2/3", 3, 2, "5m", "c", "img", "app=x"],
            id="deployment",
        ),
        pytest.param(
            builtins.STATEFULSETS,
            {"metadata": meta(), "spec": {"replicas": 1}, "status": {}},
            ["x", "0/1", "5m", "", ""],
            id="statefulset",
        ),
        pytest.param(
            builtins.SERVICES,
            {
                "metadata": meta(),
                "spec": {
                    "clusterIP": "10.0.0.1",
                    "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                    "selector": {"app": "x"},
                },
            },
            ["x", "ClusterIP", "10.0.0.1", "<none>", "80/TCP,53/UDP", "5m", "app=x"],
            id="service",
        ),
        pytest.param(
            builtins.ENDPOINTS,
            {
                "metadata": meta(),
                "subsets": [
                    {
                        "addresses": [{"ip": f"127.0.0.{i}"} for i in range(1, 5)],
                        "ports": [{"port": 8080}],
                    }
                ],
            },
            ["x", "127.0.0.1:8080,127.0.0.2:8080,127.0.0.3:8080 + 1 more...", "5m"],
            id="endpoints",
        ),
        pytest.param(
            builtins.CONFIGMAPS,
            {"metadata": meta(), "data": {"a": "1", "b": "2"}},
            ["x", 2, "5m"],
            id="configmap",
        ),
        pytest.param(
            builtins.SECRETS,
            {"metadata": meta(), "type": "Opaque", "data": {"a": "MQ=="}},
            ["x", "Opaque", 1, "5m"],
            id="secret",
        ),
        pytest.param(
            builtins.NAMESPACES,
            {"metadata": meta(), "status": {"phase": "Active"}},
            ["x", "Active", "5m"],
            id="namespace",
        ),
        pytest.param(
            builtins.NODES,
            {
                "metadata": {**meta(), "labels": {"node-role.kubernetes.io/control-plane": ""}},
                "status": {
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "nodeInfo": {"kubeletVersion": "v1.32.0-pinnace"},
                    "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                },
            },
            ["x", "Ready", "control-plane", "5m", "v1.32.0-pinnace", "127.0.0.1", "<none>"],
            id="node",
        ),
        pytest.param(
            builtins.SERVICEACCOUNTS,
            {"metadata": meta(), "secrets": []},
            ["x", 0, "5m"],
            id="serviceaccount",
        ),
        pytest.param(
            builtins.PERSISTENTVOLUMECLAIMS,
            {
                "metadata": meta(),
                "spec": {"volumeName": "pv-1", "storageClassName": "local"},
                "status": {
                    "phase": "Bound",
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                },
            },
            ["x", "Bound", "pv-1", "1Gi", "RWO", "local", "<unset>", "5m", "<unset>"],
            id="pvc",
        ),
        pytest.param(
            builtins.LEASES,
            {"metadata": meta(), "spec": {"holderIdentity": "me"}},
            ["x", "me", "5m"],
            id="lease",
        ),
        pytest.param(
            builtins.ROLES,
            {"metadata": meta()},
            ["x", CREATED],
            id="role",
        ),
        pytest.param(
            builtins.CUSTOMRESOURCEDEFINITIONS,
            {"metadata": meta("a.b")},
            ["a.b", CREATED],
            id="crd",
        ),
        pytest.param(
            builtins.ROLEBINDINGS,
            {
                "metadata": meta(),
                "roleRef": {"kind": "ClusterRole", "name": "edit"},
                "subjects": [
                    {"kind": "User", "name": "u@x"},
                    {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
                ],
            },
            ["x", "ClusterRole/edit", "5m", "u@x", "", "ns/sa"],
            id="rolebinding",
        ),
        pytest.param(
            builtins.EVENTS,
            {
                "metadata": meta("p.1"),
                "involvedObject": {"kind": "Pod", "name": "p"},
                "reason": "Started",
                "type": "Normal",
                "message": "Started container ",
                "firstTimestamp": "2025-01-01T11:00:00Z",
                "lastTimestamp": "2025-01-01T11:59:30Z",
                "count": 2,
                "source": {"component": "kubelet", "host": "local"},
            },
            [
                "30s",
                "Normal",
                "Started",
                "pod/p",
                "",
                "kubelet, local",
                "Started container",
                "60m",
                2,
                "p.1",
            ],
            id="event",
        ),
    ],
)
def test_builtin_rows(info: infos.ResourceInfo, obj: dict[str, Any], cells: list[Any]) -> None:
    row = tables.row_for(info, obj, now=NOW)
    assert row["cells"][: len(cells)] == cells
    assert len(row["cells"]) == len(tables.columns_for(info))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(5, "5s", id="seconds"),
        pytest.param(119, "119s", id="under-two-minutes"),
        pytest.param(192, "3m12s", id="minutes-seconds"),
        pytest.param(3600, "60m", id="minutes"),
        pytest.param(4 * 3600 + 60, "4h1m", id="hours-minutes"),
        pytest.param(30 * 3600, "30h", id="hours"),
        pytest.param(3 * 86400 + 7200, "3d2h", id="days-hours"),
        pytest.param(100 * 86400, "100d", id="days"),
        pytest.param(3 * 365 * 86400 + 86400, "3y1d", id="years"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    from pinnace.api.printers.columns import human_duration

    assert human_duration(seconds) == text


ISVC_COLUMNS = (
    infos.PrinterColumn("URL", "string", ".status.url"),
    infos.PrinterColumn("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
    infos.PrinterColumn(
        "Latest",
        "integer",
        ".status.components.predictor.traffic[?(@.latestRevision==true)].percent",
    ),
    infos.PrinterColumn("Stopped", "date", ".metadata.annotations.kubeflow-resource-stopped"),
    infos.PrinterColumn("Spec", "string", ".spec"),
    infos.PrinterColumn("Age", "date", ".metadata.creationTimestamp"),
)


def custom(columns: tuple[infos.PrinterColumn, ...] = ()) -> infos.ResourceInfo:
    return infos.ResourceInfo(
        ResourceType("example.com", "v1", "things", "Thing"),
        "thing",
        printer_columns=columns,
        crd_name="things.example.com",
    )


def test_custom_columns() -> None:
    info = custom(ISVC_COLUMNS)
    obj = {
        "metadata": {
            **meta("m"),
            "annotations": {"kubeflow-resource-stopped": "2025-01-01T11:58:00Z"},
        },
        "spec": {"a": 1},
        "status": {
            "url": "http://m.default.example.com",
            "conditions": [
                {"type": "Other", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "components": {"predictor": {"traffic": [{"latestRevision": True, "percent": 100}]}},
        },
    }
    columns = tables.columns_for(info)
    assert [c["name"] for c in columns] == [
        "Name",
        "URL",
        "Ready",
        "Latest",
        "Stopped",
        "Spec",
        "Age",
    ]
    assert columns[0]["format"] == "name"
    assert columns[-1]["type"] == "date"
    row = tables.row_for(info, obj, now=NOW)
    assert row["cells"] == [
        "m",
        "http://m.default.example.com",
        "True",
        100,
        "2m",
        '{"a":1}',
        "5m",
    ]
    empty = tables.row_for(info, {"metadata": meta("e")}, now=NOW)
    assert empty["cells"] == ["e", None, None, None, None, None, "5m"]


def test_custom_without_columns_gets_age_and_full_table() -> None:
    info = custom()
    t = tables.table(
        info,
        [{"metadata": meta("a")}, {"metadata": meta("b")}],
        now=NOW,
        resource_version="42",
        continue_token="abc",
        include_object="Object",
    )
    assert t["kind"] == "Table"
    assert t["apiVersion"] == "meta.k8s.io/v1"
    assert t["metadata"] == {"resourceVersion": "42", "continue": "abc"}
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Age"]
    assert [r["cells"] for r in t["rows"]] == [["a", "5m"], ["b", "5m"]]
    assert t["rows"][0]["object"] == {"metadata": meta("a")}
    watch_event = tables.table(info, [{"metadata": meta("a")}], now=NOW, headers=False)
    assert watch_event["columnDefinitions"] == []
    assert watch_event["metadata"] == {}
