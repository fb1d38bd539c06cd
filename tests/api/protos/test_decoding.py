"""Kubernetes protobuf bodies decoded into the JSON form Go would write.

Bodies are built here field by field with the upstream field numbers; the
expected dicts follow Go's encoding/json of the same structs (what kubectl
sends as JSON and kube-apiserver stores).
"""

from __future__ import annotations

from typing import Any

import pytest

from pinnace.api.protos import decoding
from pinnace.kits import protowire

f = protowire.field


def msg(*records: bytes) -> bytes:
    return b"".join(records)


def body(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = f(1, api_version) + f(2, kind)
    return decoding.MAGIC + f(1, type_meta) + f(2, raw) + f(3, "") + f(4, "")


def entry(key: str, value: bytes | str) -> bytes:
    return f(1, key) + f(2, value)


def meta(name: str, *more: bytes) -> bytes:
    """ObjectMeta as gogo writes it: zero strings and the zero Time included."""
    return msg(
        f(1, name), f(2, ""), f(3, ""), f(4, ""), f(5, ""), f(6, ""), f(7, 0), f(8, b""), *more
    )


def test_namespace_with_zero_fields_as_kubectl_sends_it() -> None:
    raw = msg(f(1, meta("team")), f(2, b""), f(3, msg(f(1, ""))))
    assert decoding.decode(body("v1", "Namespace", raw)) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team"},
        "spec": {},
        "status": {},
    }


def test_pod_spec_special_types_pointers_and_inline() -> None:
    probe = msg(
        f(1, msg(f(2, msg(f(1, "/healthz"), f(2, msg(f(1, 1), f(2, 0), f(3, "http"))))))),
        f(2, 0),  # initialDelaySeconds 0, omitempty: left out
        f(4, 5),
    )
    container = msg(
        f(1, "app"),
        f(2, "python:3.11"),
        f(3, "python3"),
        f(3, "-m"),
        f(6, msg(f(3, 8080), f(4, "TCP"))),
        f(6, msg(f(1, "metrics"), f(3, 0))),  # containerPort has no omitempty
        f(7, msg(f(1, "POD_IP"), f(3, msg(f(1, msg(f(1, "v1"), f(2, "status.podIP"))))))),
        f(8, msg(f(1, entry("cpu", msg(f(1, "500m")))), f(2, entry("memory", msg(f(1, "64Mi")))))),
        f(11, probe),
    )
    volume = msg(f(1, "cfg"), f(2, msg(f(19, msg(f(1, msg(f(1, "settings"))), f(3, 0o644))))))
    spec = msg(
        f(1, volume),
        f(2, container),
        f(3, ""),  # restartPolicy "", omitempty
        f(4, 0),  # terminationGracePeriodSeconds *int64 = 0: kept
        f(10, "node-1"),
        f(14, msg()),  # securityContext present but empty
        f(22, msg(f(1, "tolerate"), f(4, "NoSchedule"), f(5, 0))),
    )
    status = msg(f(1, "Running"), f(7, msg(f(1, 1_700_000_000), f(2, 999_999_999))))
    pod = msg(f(1, meta("p", f(11, entry("app", "web")))), f(2, spec), f(3, status))
    assert decoding.decode(body("v1", "Pod", pod)) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "web"}},
        "spec": {
            "volumes": [{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 0o644}}],
            "containers": [
                {
                    "name": "app",
                    "image": "python:3.11",
                    "command": ["python3", "-m"],
                    "ports": [
                        {"containerPort": 8080, "protocol": "TCP"},
                        {"name": "metrics", "containerPort": 0},
                    ],
                    "env": [
                        {
                            "name": "POD_IP",
                            "valueFrom": {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}
                            },
                        }
                    ],
                    "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
                    "readinessProbe": {
                        "httpGet": {"path": "/healthz", "port": "http"},
                        "periodSeconds": 5,
                    },
                }
            ],
            "terminationGracePeriodSeconds": 0,
            "nodeName": "node-1",
            "securityContext": {},
            "tolerations": [{"key": "tolerate", "effect": "NoSchedule", "tolerationSeconds": 0}],
        },
        "status": {"phase": "Running", "startTime": "2023-11-14T22:13:20Z"},
    }


def test_secret_bytes_are_base64_and_empty_values_kept() -> None:
    raw = msg(
        f(1, meta("s")),
        f(2, entry("bin", bytes([0, 255, 10]))),
        f(2, entry("empty", b"")),
        f(2, f(1, "novalue")),
        f(3, "example.com/custom"),
        f(5, 1),
    )
    assert decoding.decode(body("v1", "Secret", raw)) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "immutable": True,
        "data": {"bin": "AP8K", "empty": "", "novalue": ""},
        "type": "example.com/custom",
    }


def test_deployment_int_or_string_and_pointer_zero() -> None:
    strategy = msg(
        f(1, "RollingUpdate"),
        f(2, msg(f(1, msg(f(1, 0), f(2, 0))), f(2, msg(f(1, 1), f(3, "25%"))))),
    )
    spec = msg(f(1, 0), f(4, strategy))  # replicas *int32 = 0; no selector, no template
    raw = msg(f(1, meta("d")), f(2, spec))
    assert decoding.decode(body("apps/v1", "Deployment", raw)) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 0,
            "selector": None,  # *LabelSelector without omitempty: null
            "template": {"metadata": {}, "spec": {"containers": None}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"},
            },
        },
        "status": {},
    }


def test_lease_micro_time() -> None:
    spec = msg(f(1, "holder"), f(2, 15), f(4, msg(f(1, 1_700_000_000), f(2, 123_456_789))))
    raw = msg(f(1, meta("l", f(3, "kube-system"))), f(2, spec))
    assert decoding.decode(body("coordination.k8s.io/v1", "Lease", raw)) == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "l", "namespace": "kube-system"},
        "spec": {
            "holderIdentity": "holder",
            "leaseDurationSeconds": 15,
            "renewTime": "2023-11-14T22:13:20.123456Z",
        },
    }


def test_role_without_rules_is_null_and_rule_lists() -> None:
    assert decoding.decode(body("rbac.authorization.k8s.io/v1", "Role", f(1, meta("r")))) == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": None,
    }
    rule = msg(f(1, "get"), f(2, ""), f(3, "pods"))
    raw = msg(f(1, meta("cr")), f(2, rule), f(2, msg(f(5, "/logs"))))
    decoded = decoding.decode(body("rbac.authorization.k8s.io/v1", "ClusterRole", raw))
    assert decoded["rules"] == [
        {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
        {"verbs": None, "nonResourceURLs": ["/logs"]},
    ]


def test_delete_options_keep_zero_grace_period() -> None:
    raw = msg(f(1, 0), f(2, msg(f(1, "uid-1"))), f(4, "Foreground"), f(5, "All"))
    assert decoding.decode(body("v1", "DeleteOptions", raw)) == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "gracePeriodSeconds": 0,
        "preconditions": {"uid": "uid-1"},
        "propagationPolicy": "Foreground",
        "dryRun": ["All"],
    }
    assert decoding.decode(body("meta.k8s.io/v1", "DeleteOptions", b""))["kind"] == "DeleteOptions"


def test_repeated_numbers_packed_or_not_and_negative() -> None:
    unpacked = msg(f(4, 1), f(4, 2))
    packed = f(4, protowire.varint(3) + protowire.varint(4))
    spec = msg(f(14, msg(f(2, -5), unpacked, packed)), f(2, msg(f(1, "c"))))
    decoded = decoding.decode(body("v1", "Pod", msg(f(1, meta("p")), f(2, spec))))
    assert decoded["spec"]["securityContext"] == {
        "runAsUser": -5,
        "supplementalGroups": [1, 2, 3, 4],
    }


def test_unknown_fields_are_skipped() -> None:
    raw = msg(f(1, meta("x", f(99, "future"))), f(77, 1), f(2, entry("k", "v") + f(3, 1)))
    assert decoding.decode(body("v1", "ConfigMap", raw)) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "data": {"k": "v"},
    }


@pytest.mark.parametrize(
    ("nanos", "text"),
    [
        pytest.param(0, "0s", id="zero"),
        pytest.param(1, "1ns", id="ns"),
        pytest.param(1_500, "1.5µs", id="us"),
        pytest.param(2_000_000, "2ms", id="ms"),
        pytest.param(1_000_000_000, "1s", id="s"),
        pytest.param(90_500_000_000, "1m30.5s", id="m"),
        pytest.param(3_600_000_000_000, "1h0m0s", id="h"),
        pytest.param(-61_000_000_000, "-1m1s", id="negative"),
    ],
)
def test_go_duration(nanos: int, text: str) -> None:
    assert decoding.go_duration(nanos) == text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(b'{"kind": "Pod"}', decoding.DecodeError, id="no-magic"),
        pytest.param(body("v1", "Pod", f(1, 7)), decoding.DecodeError, id="varint-for-message"),
        pytest.param(body("v1", "Pod", b"\x0a\x09abc"), decoding.DecodeError, id="truncated"),
        pytest.param(
            body("v1", "Pod", f(2, f(11, "yes"))),
            decoding.DecodeError,
            id="string-for-bool",
        ),
        pytest.param(body("batch/v1", "Job", b""), decoding.UnknownKind, id="no-table"),
        pytest.param(body("apps/v1", "Pod", b""), decoding.UnknownKind, id="wrong-group"),
    ],
)
def test_bad_bodies(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decoding.decode(data)


def test_content_encoding_is_refused() -> None:
    data = decoding.MAGIC + f(1, f(1, "v1") + f(2, "Pod")) + f(2, b"") + f(3, "gzip")
    with pytest.raises(decoding.DecodeError):
        decoding.decode(data)


def test_message_zero_value() -> None:
    zero: dict[str, Any] = decoding.message("core.Service", b"")
    assert zero == {
        "metadata": {},
        "spec": {},
        "status": {"loadBalancer": {}},
    }
