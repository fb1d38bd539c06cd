"""The protobuf field tables against the built-in OpenAPI schemas (kube 1.32).

Both come from upstream by different roads (generated.proto + types.go; the
published OpenAPI), so agreement on every JSON name and type is a check of
the generated tables and of the flag rules in `scripts/generate_protos.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from pinnace.api import protos, schemas
from pinnace.api.protos import fields

PACKAGES = {
    "core": "io.k8s.api.core.v1",
    "apps": "io.k8s.api.apps.v1",
    "rbac": "io.k8s.api.rbac.v1",
    "coordination": "io.k8s.api.coordination.v1",
    "autoscaling": "io.k8s.api.autoscaling.v1",
    "authorization": "io.k8s.api.authorization.v1",
    "authentication": "io.k8s.api.authentication.v1",
    "meta": "io.k8s.apimachinery.pkg.apis.meta.v1",
}
SPECIAL_DEFINITIONS = {
    "time": "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "microtime": "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    "fieldsv1": "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "intorstring": "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "quantity": "io.k8s.apimachinery.pkg.api.resource.Quantity",
}
# `extra` (map of ExtraValue) is left out of the tables (generate_protos.SKIPPED).
SKIPPED_FIELDS = {
    "authorization.SubjectAccessReviewSpec": {"extra"},
    "authentication.UserInfo": {"extra"},
}
SCALAR_TYPES = {
    "string": "string",
    "bytes": "string",
    "bool": "boolean",
    "int32": "integer",
    "int64": "integer",
}


def definition_name(message: str) -> str:
    group, _, name = message.partition(".")
    return f"{PACKAGES[group]}.{name}"


def json_fields(message: str) -> dict[str, tuple[str, str]]:
    """JSON name → (type, flags), with inline embedded structs flattened."""
    out: dict[str, tuple[str, str]] = {}
    for json_name, type_, flags in protos.MESSAGES[message].values():
        if "i" in flags:
            out.update(json_fields(type_))
        else:
            out[json_name] = (type_, flags)
    return out


def ref(schema: dict[str, Any]) -> str:
    return str(schema.get("$ref", "")).removeprefix(schemas.REF_PREFIX)


def check_value(type_: str, schema: dict[str, Any], where: str) -> None:
    if fields.is_message(type_):
        assert ref(schema) == definition_name(type_), where
    elif type_ in SPECIAL_DEFINITIONS:
        assert ref(schema) == SPECIAL_DEFINITIONS[type_], where
    else:
        assert schema.get("type") == SCALAR_TYPES[type_], where
        assert (schema.get("format") == "byte") == (type_ == "bytes"), where


DESCRIBED = [m for m in protos.MESSAGES if definition_name(m) in schemas.definitions()]


def test_every_message_has_a_schema_but_the_inline_ones() -> None:
    # Embedded structs have no definition of their own: their fields are checked
    # in each parent that inlines them.
    inline = {"core.EphemeralContainerCommon", "core.ProbeHandler", "core.VolumeSource"}
    assert set(protos.MESSAGES) - set(DESCRIBED) == inline


@pytest.mark.parametrize("message", DESCRIBED)
def test_table_matches_schema(message: str) -> None:
    schema = schemas.definition(definition_name(message))
    properties = dict(schema.get("properties") or {})
    if "x-kubernetes-group-version-kind" in schema:
        properties.pop("apiVersion"), properties.pop("kind")
    for skipped in SKIPPED_FIELDS.get(message, ()):
        properties.pop(skipped)
    table = json_fields(message)
    assert set(table) == set(properties)
    for json_name, (type_, flags) in table.items():
        prop = properties[json_name]
        where = f"{message}.{json_name}"
        if "*" in flags:
            assert prop.get("type") == "array", where
            check_value(type_, prop["items"], where)
        elif "m" in flags:
            assert prop.get("type") == "object", where
            check_value(type_, prop["additionalProperties"], where)
        else:
            check_value(type_, prop, where)


def test_every_type_named_has_a_table() -> None:
    for message in protos.MESSAGES.values():
        for _, type_, flags in message.values():
            assert type_ in protos.MESSAGES or type_ in fields.SCALARS | fields.SPECIALS, type_
            assert set(flags) <= set("*m?!i"), flags


def test_kinds_name_tables() -> None:
    for name in [*protos.KINDS.values(), *protos.ANY_VERSION_KINDS.values()]:
        assert name in protos.MESSAGES
