"""The OpenAPI v3 documents served under `/openapi/v3` (one per group/version).

The API server's OpenAPI handler calls `document(group, version, infos)` with the
`ResourceInfo`s it serves in that group/version (built-ins and CRD versions
alike) and `index(documents)` for the root. kubectl reads these before
`apply`/`create`/`replace`: it finds each kind by `x-kubernetes-group-version-kind`
on an operation, and seeing the `fieldValidation` parameter it leaves
validation to the server (`?fieldValidation=Strict`). `kubectl explain` reads
`components.schemas`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from pinnace.api import schemas
from pinnace.api.infos import ResourceInfo

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_META_DEFINITIONS = (
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
)
_SCALE = "io.k8s.api.autoscaling.v1.Scale"


def gv_path(group: str, version: str) -> str:
    """The key of a group/version under `/openapi/v3`: `api/v1` or `apis/apps/v1`."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def custom_definition_name(info: ResourceInfo) -> str:
    """The component name the apiserver gives a custom kind: `org.kubeflow.v1.Notebook`."""
    return ".".join([*reversed(info.group.split(".")), info.version, info.kind])


def _served_form(node: schemas.Schema) -> dict[str, Any]:
    """A `$ref` with siblings becomes `allOf: [{$ref}]` + siblings, as kube-openapi serves it.

    Only schema positions are rewritten (`schemas.map_subschemas`): a *property*
    named `$ref` or `allOf` (JSONSchemaProps has both) is a field, not a keyword.
    """
    out = schemas.map_subschemas(node, _served_form)
    if "$ref" in out and len(out) > 1:
        out["allOf"] = [{"$ref": out.pop("$ref")}, *out.get("allOf", ())]
    return out


def _closure(roots: Iterable[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        node = schemas.definition(name)
        found[name] = _served_form(node)
        todo.extend(_refs(node))
    return found


def _refs(node: schemas.Schema) -> list[str]:
    """The definition names referenced from schema positions anywhere in `node`."""
    return [name for sub in schemas.walk(node) if (name := schemas.ref_name(sub))]


def _custom_schema(info: ResourceInfo) -> dict[str, Any]:
    base: dict[str, Any] = dict(info.openapi_schema or {"type": "object"})
    props = dict(base.get("properties") or {})
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"allOf": [{"$ref": schemas.REF_PREFIX + OBJECT_META}]}
    base["properties"] = props
    base["x-kubernetes-group-version-kind"] = [
        {"group": info.group, "version": info.version, "kind": info.kind}
    ]
    return base


def _operation(info: ResourceInfo, verb: str, schema_ref: str, op_id: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    ]
    if verb in ("post", "put", "patch"):
        params.append(
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
        )
    body = {"content": {"application/json": {"schema": {"$ref": schema_ref}}}}
    op: dict[str, Any] = {
        "operationId": op_id,
        "parameters": params,
        "responses": {"200": {"description": "OK", **body}},
        "x-kubernetes-action": {"post": "post", "put": "put", "patch": "patch"}.get(verb, verb),
        "x-kubernetes-group-version-kind": {
            "group": info.group,
            "version": info.version,
            "kind": info.kind,
        },
    }
    if verb in ("post", "put", "patch"):
        op["requestBody"] = body
    return op


def _path_parameters(path: str) -> list[dict[str, Any]]:
    """The path item's `{name}`/`{namespace}` parameters, declared as OpenAPI 3.0 requires."""
    return [
        {
            "name": param,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "uniqueItems": True},
        }
        for param in ("name", "namespace")
        if "{" + param + "}" in path
    ]


def _path_item(path: str, operations: dict[str, Any]) -> dict[str, Any]:
    params = _path_parameters(path)
    return {**operations, "parameters": params} if params else operations


def _paths(info: ResourceInfo, schema_ref: str) -> dict[str, Any]:
    prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    ns = "/namespaces/{namespace}" if info.namespaced else ""
    collection = f"{prefix}{ns}/{info.plural}"
    item = collection + "/{name}"
    tag = info.kind
    paths: dict[str, Any] = {}
    if "create" in info.verbs:
        paths[collection] = {"post": _operation(info, "post", schema_ref, f"create{tag}")}
    if "patch" in info.verbs:
        paths[item] = {
            "get": _operation(info, "get", schema_ref, f"read{tag}"),
            "put": _operation(info, "put", schema_ref, f"replace{tag}"),
            "patch": _operation(info, "patch", schema_ref, f"patch{tag}"),
        }
        if info.has_status:
            paths[item + "/status"] = {
                "patch": _operation(info, "patch", schema_ref, f"patch{tag}Status")
            }
    return {path: _path_item(path, ops) for path, ops in paths.items()}


def document(group: str, version: str, infos: Iterable[ResourceInfo]) -> dict[str, Any]:
    """The `/openapi/v3/<gv_path>` document for the kinds in `infos` (others are skipped)."""
    roots: list[str] = [OBJECT_META, *_META_DEFINITIONS]
    custom: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for info in infos:
        if info.group != group or info.version != version:
            continue
        if info.definition:
            roots.append(info.definition)
            name = info.definition
        else:
            name = custom_definition_name(info)
            custom[name] = _served_form(_custom_schema(info))
            roots.extend(_refs(custom[name]))
        if info.scale is not None or info.subresource("scale"):
            roots.append(_SCALE)
        paths.update(_paths(info, schemas.REF_PREFIX + name))
    components = _closure(roots)
    components.update(custom)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }


def document_hash(doc: Mapping[str, Any]) -> str:
    """The `hash` kubectl caches a document by (uppercase hex SHA-512, as the apiserver)."""
    return hashlib.sha512(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest().upper()


def index(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The `/openapi/v3` root for documents keyed by `gv_path`."""
    return {
        "paths": {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={document_hash(doc)}"}
            for key, doc in sorted(documents.items())
        }
    }
