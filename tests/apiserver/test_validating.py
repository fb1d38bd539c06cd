from __future__ import annotations

from typing import Any

import pytest

from pinnace.api import builtins, infos
from pinnace.apiserver import validating
from pinnace.kits.kube.resources import ResourceType

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["image"],
            "properties": {
                "image": {"type": "string", "minLength": 1, "maxLength": 20},
                "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
                "ratio": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "name": {"type": "string", "pattern": "^[a-z]+$"},
                "port": {"x-kubernetes-int-or-string": True},
                "when": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "opaque": {"type": "object"},
                "maybe": {"type": "string", "nullable": True},
                "nested": {
                    "type": "object",
                    "default": {},
                    "properties": {"level": {"type": "string", "default": "info"}},
                },
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
                },
            },
        },
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    },
}
WIDGETS = infos.ResourceInfo(
    ResourceType("example.com", "v1", "widgets", "Widget"),
    "widget",
    openapi_schema=SCHEMA,
    crd_name="widgets.example.com",
)


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default", "labels": {"a": "b"}},
        "spec": {"image": "x", **spec},
    }


def test_valid_object_is_defaulted_and_kept() -> None:
    obj = widget(port="http", free={"anything": {"goes": [1]}}, maybe=None)
    result = validating.validate_object(WIDGETS, obj)
    assert result.causes == []
    assert result.unknown == []
    assert result.obj["spec"]["replicas"] == 1
    assert result.obj["spec"]["nested"] == {"level": "info"}
    assert result.obj["spec"]["free"] == {"anything": {"goes": [1]}}
    assert result.obj["spec"]["maybe"] is None
    assert "replicas" not in obj["spec"]  # the input is not modified


def test_unknown_fields_are_reported_and_pruned() -> None:
    obj = widget(foo=1, items=[{"n": 1, "m": 2}], opaque={"x": 1})
    obj["extra"] = True
    obj["metadata"]["labelz"] = {}
    result = validating.validate_object(WIDGETS, obj)
    assert sorted(result.unknown) == [
        "extra",
        "metadata.labelz",
        "spec.foo",
        "spec.items[0].m",
        "spec.opaque.x",
    ]
    assert result.obj["spec"]["items"] == [{"n": 1}]
    assert "extra" not in result.obj
    assert result.obj["metadata"] == {"name": "w", "namespace": "default", "labels": {"a": "b"}}
    assert result.obj["apiVersion"] == "example.com/v1"
    assert validating.strict_message(["spec.foo", "spec.bar"]) == (
        'strict decoding error: unknown field "spec.foo", unknown field "spec.bar"'
    )


@pytest.mark.parametrize(
    ("spec", "reason", "field", "message"),
    [
        pytest.param(
            {"replicas": "string"},
            "FieldValueTypeInvalid",
            "spec.replicas",
            'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
            id="type",
        ),
        pytest.param(
            {"replicas": 11},
            "FieldValueInvalid",
            "spec.replicas",
            "Invalid value: 11: spec.replicas in body should be less than or equal to 10",
            id="maximum",
        ),
        pytest.param(
            {"replicas": -1},
            "FieldValueInvalid",
            "spec.replicas",
            "Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
            id="minimum",
        ),
        pytest.param(
            {"ratio": 0},
            "FieldValueInvalid",
            "spec.ratio",
            "Invalid value: 0: spec.ratio in body should be greater than 0",
            id="exclusive-minimum",
        ),
        pytest.param(
            {"mode": "x"},
            "FieldValueNotSupported",
            "spec.mode",
            'Unsupported value: "x": supported values: "a", "b"',
            id="enum",
        ),
        pytest.param(
            {"name": "ABC"},
            "FieldValueInvalid",
            "spec.name",
            "Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'",
            id="pattern",
        ),
        pytest.param(
            {"image": ""},
            "FieldValueInvalid",
            "spec.image",
            'Invalid value: "": spec.image in body should be at least 1 chars long',
            id="min-length",
        ),
        pytest.param(
            {"image": "x" * 21},
            "FieldValueTooLong",
            "spec.image",
            "Too long: may not be more than 20 bytes",
            id="max-length",
        ),
        pytest.param(
            {"tags": ["a", "b", "c"]},
            "FieldValueTooMany",
            "spec.tags",
            "Too many: 3: must have at most 2 items",
            id="max-items",
        ),
        pytest.param(
            {"port": True},
            "FieldValueTypeInvalid",
            "spec.port",
            'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
            id="int-or-string",
        ),
        pytest.param(
            {"when": "yesterday"},
            "FieldValueInvalid",
            "spec.when",
            'Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
            id="format",
        ),
        pytest.param(
            {"labels": {"a": 1}},
            "FieldValueTypeInvalid",
            "spec.labels[a]",
            'Invalid value: "integer": spec.labels[a] in body must be of type string: "integer"',
            id="additional-properties",
        ),
        pytest.param(
            {"tags": [None]},
            "FieldValueTypeInvalid",
            "spec.tags[0]",
            'Invalid value: "null": spec.tags[0] in body must be of type string: "null"',
            id="null-item",
        ),
    ],
)
def test_schema_errors(spec: dict[str, Any], reason: str, field: str, message: str) -> None:
    result = validating.validate_object(WIDGETS, widget(**spec))
    assert [c.as_dict() for c in result.causes] == [
        {"reason": reason, "field": field, "message": message}
    ]


def test_required_and_name() -> None:
    obj = widget()
    del obj["spec"]["image"]
    del obj["metadata"]["name"]
    result = validating.validate_object(WIDGETS, obj)
    assert [c.as_dict() for c in result.causes] == [
        {
            "reason": "FieldValueRequired",
            "field": "metadata.name",
            "message": "Required value: name or generateName is required",
        },
        {"reason": "FieldValueRequired", "field": "spec.image", "message": "Required value"},
    ]
    obj["metadata"]["generateName"] = "w-"
    assert len(validating.validate_object(WIDGETS, obj).causes) == 1


def test_non_nullable_null_is_pruned_or_defaulted() -> None:
    result = validating.validate_object(WIDGETS, widget(mode=None, replicas=None))
    assert result.causes == []
    assert "mode" not in result.obj["spec"]
    assert result.obj["spec"]["replicas"] == 1


def test_builtin_pod() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "creationTimestamp": None},
        "spec": {
            "containers": [
                {"name": "c", "imagee": "busybox", "ports": [{"containerPort": 80}]},
                {"name": "d", "image": "x", "resources": {"limits": {"cpu": "500m"}}},
            ],
            "restartPolicy": None,
        },
        "status": {},
    }
    result = validating.validate_object(builtins.PODS, pod)
    assert result.unknown == ["spec.containers[0].imagee"]
    assert result.causes == []
    assert "imagee" not in result.obj["spec"]["containers"][0]
    assert result.obj["spec"]["restartPolicy"] is None


def test_builtin_type_errors_and_free_form() -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": "two",
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
        },
    }
    result = validating.validate_object(builtins.DEPLOYMENTS, dep)
    assert [c.field for c in result.causes] == ["spec.replicas"]
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "a.b"},
        "spec": {
            "group": "b",
            "names": {"plural": "a", "kind": "A"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"x-kubernetes-preserve-unknown-fields": True}},
                        }
                    },
                }
            ],
        },
    }
    result = validating.validate_object(builtins.CUSTOMRESOURCEDEFINITIONS, crd)
    assert result.unknown == []
    assert result.causes == []


def test_kind_without_schema_accepts_anything() -> None:
    info = infos.ResourceInfo(ResourceType("g", "v1", "xs", "X"), "x", crd_name="xs.g")
    result = validating.validate_object(info, {"metadata": {"name": "a"}, "spec": {"a": 1}})
    assert result.obj["spec"] == {"a": 1}
    assert result.unknown == []


def test_root_required_fields_are_not_reported_for_root_fields() -> None:
    # core/v1 Event lists `metadata` as required: metadata is checked elsewhere
    event = {
        "metadata": {"generateName": "kopf-event-", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
        "reason": "Started",
        "message": "hello",
        "type": "Normal",
        "source": {"component": "kopf"},
    }
    result = validating.validate_object(builtins.EVENTS, event)
    assert result.causes == []
    assert result.unknown == []
    # …and `involvedObject` is a Go struct upstream: missing, it is empty, which kube accepts.
    missing = validating.validate_object(builtins.EVENTS, {"metadata": {"name": "e"}})
    assert missing.causes == []
