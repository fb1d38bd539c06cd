"""Generate `src/pinnace/api/schemas/builtin.json` from the kubernetes_validate package.

Run: `.venv/bin/python scripts/generate_builtin_schemas.py` (writes the file) or with
`--check` (exits 1 when the committed file differs from what would be generated).

The source is kubernetes_validate's v1.32.0-local-strict `_definitions.json`, a
JSON-schema rendering of the kube-apiserver OpenAPI. We keep the transitive
closure of the definitions of the kinds in `pinnace.api.builtins` and normalize
each into the OpenAPI v3 form the apiserver serves and our code walks:

- descriptions dropped (the file stays small); `"type": ["string", "null"]` → `"string"`;
- `$ref: "#/$defs/N"` → `$ref: "#/components/schemas/N"` (siblings such as
  `x-kubernetes-patch-strategy` stay beside the `$ref`);
- IntOrString and Quantity (`oneOf` string/integer|number) → the controller-gen form
  `anyOf: [{type: integer}, {type: string}]` + `x-kubernetes-int-or-string: true`;
- the strict variant's `additionalProperties: false` and `apiVersion`/`kind` enums dropped
  (a structural schema already treats fields outside `properties` as unknown);
- free-form types (RawExtension, FieldsV1, Patch, apiextensions JSON*) get
  `x-kubernetes-preserve-unknown-fields: true`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from pinnace.api import builtins, schemas

SOURCE_VERSION = "v1.32.0-local-strict"
OUT = Path(__file__).resolve().parent.parent / "src/pinnace/api/schemas/builtin.json"
REF_PREFIX = "#/components/schemas/"

KEEP = {
    "type",
    "required",
    "enum",
    "format",
    "items",
    "properties",
    "additionalProperties",
    "$ref",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-group-version-kind",
}
FREE_FORM = {
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
}
INT_OR_STRING = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]"
        r"|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
    },
}


def source_path() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise SystemExit("kubernetes_validate is not installed (it is a dev dependency)")
    return (
        Path(spec.origin).parent / "kubernetes-json-schema" / SOURCE_VERSION / "_definitions.json"
    )


def normalize(node: Any, *, in_object_root: bool = False) -> Any:
    """One schema node in our OpenAPI v3 form (see the module docstring)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in KEEP:
            continue
        if key == "type":
            types = [t for t in (value if isinstance(value, list) else [value]) if t != "null"]
            if len(types) == 1:
                out["type"] = types[0]
        elif key == "$ref":
            out["$ref"] = REF_PREFIX + value.rsplit("/", 1)[-1]
        elif key == "properties":
            out["properties"] = {name: normalize(prop) for name, prop in value.items()}
            if in_object_root:  # the strict variant pins apiVersion/kind with enums
                for name in ("apiVersion", "kind"):
                    if name in out["properties"]:
                        out["properties"][name].pop("enum", None)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out["additionalProperties"] = normalize(value)
        elif key == "items":
            out["items"] = normalize(value)
        else:
            out[key] = value
    return out


def normalize_definition(name: str, node: dict[str, Any]) -> dict[str, Any]:
    if name in INT_OR_STRING:
        return {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": True,
            **INT_OR_STRING[name],
        }
    out = normalize(node, in_object_root=True)
    if name in FREE_FORM:
        out["x-kubernetes-preserve-unknown-fields"] = True
    elif (
        out.get("type") == "object"
        and "properties" not in out
        and "additionalProperties" not in out
    ):
        out["properties"] = {}  # an empty Go struct: every field is unknown
    return out


def refs_of(node: dict[str, Any]) -> set[str]:
    """Definition names referenced from schema positions (not from property names)."""
    return {
        ref.rsplit("/", 1)[-1]
        for sub in schemas.walk(node)
        if isinstance(ref := sub.get("$ref"), str)
    }


def closure(source: dict[str, Any], roots: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        if name not in source:
            raise SystemExit(f"definition {name} not found in {SOURCE_VERSION}")
        out[name] = normalize_definition(name, source[name])
        todo.extend(refs_of(source[name]) - out.keys())
    return out


def render(definitions: dict[str, Any]) -> str:
    """One definition per line: small, and diffs stay readable."""
    lines = [
        "{",
        f'"source": "kubernetes_validate {SOURCE_VERSION}",',
        '"definitions": {',
    ]
    names = sorted(definitions)
    for i, name in enumerate(names):
        body = json.dumps(definitions[name], sort_keys=True, separators=(",", ":"))
        lines.append(f"{json.dumps(name)}:{body}{',' if i < len(names) - 1 else ''}")
    lines += ["}", "}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    source = json.loads(source_path().read_text())["$defs"]
    text = render(closure(source, builtins.definition_names()))
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is stale; rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
