from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pinnace.api import schemas

ROOT = Path(__file__).resolve().parents[2]


def test_generated_file_is_current() -> None:
    script = ROOT / "scripts" / "generate_builtin_schemas.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_normal_form() -> None:
    pod_spec = schemas.definition("io.k8s.api.core.v1.PodSpec")
    assert pod_spec["type"] == "object"
    assert pod_spec["required"] == ["containers"]
    containers = pod_spec["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert "description" not in pod_spec
    assert "additionalProperties" not in pod_spec
    int_or_string = schemas.definition("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
    assert int_or_string["x-kubernetes-int-or-string"] is True
    raw = schemas.definition("io.k8s.apimachinery.pkg.runtime.RawExtension")
    assert raw["x-kubernetes-preserve-unknown-fields"] is True
    # a property named "description" (in JSONSchemaProps) survives; the keyword does not
    props = schemas.definition(
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
    )
    assert props["properties"]["description"] == {"type": "string"}


def test_schema_for_and_resolve() -> None:
    pod = schemas.schema_for("", "v1", "Pod")
    assert pod is not None
    assert schemas.schema_for("", "v1", "Nope") is None
    assert schemas.name_for("apps", "v1", "StatefulSet") == "io.k8s.api.apps.v1.StatefulSet"
    spec = schemas.resolve(pod["properties"]["spec"])
    assert "containers" in spec["properties"]
    sibling = schemas.resolve({"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec", "x": 1})
    assert sibling["x"] == 1
    assert "containers" in sibling["properties"]
    with pytest.raises(KeyError):
        schemas.definition("io.k8s.api.core.v1.Nope")


def test_inline_for_crds() -> None:
    spec = schemas.inline({"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}, crd=True)
    container = spec["properties"]["containers"]["items"]
    assert container["properties"]["name"]["type"] == "string"
    assert "x-kubernetes-patch-merge-key" not in spec["properties"]["containers"]
    ports = container["properties"]["ports"]
    assert ports["items"]["properties"]["protocol"]["default"] == "TCP"
    assert "$ref" not in str(spec)
    with pytest.raises(ValueError, match="recursive"):
        schemas.inline(
            {
                "$ref": "#/components/schemas/"
                "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
            }
        )


def test_subschemas_are_schema_positions_not_property_names() -> None:
    node = {
        "type": "object",
        "properties": {"$ref": {"type": "string"}, "allOf": {"type": "array"}},
        "additionalProperties": False,
        "items": [{"type": "integer"}],
        "anyOf": [{"$ref": "#/components/schemas/X"}],
        "default": {"$ref": "#/components/schemas/NotASchema"},
    }
    assert sorted(map(str, schemas.subschemas(node))) == sorted(
        map(
            str,
            [
                {"type": "string"},
                {"type": "array"},
                {"type": "integer"},
                {"$ref": "#/components/schemas/X"},
            ],
        )
    )
    refs = [r for sub in schemas.walk(node) if (r := schemas.ref_name(sub))]
    assert refs == ["X"]
    tagged = schemas.map_subschemas(node, lambda sub: {**sub, "seen": True})
    assert tagged["properties"]["$ref"] == {"type": "string", "seen": True}
    assert tagged["additionalProperties"] is False
    assert tagged["default"] == node["default"]
