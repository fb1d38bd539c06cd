"""A minimal OpenAPI v2 document at `/openapi/v2`, in the protobuf form kubectl asks for.

The OpenAPI v3 documents (`documents.py`) carry the schemas. kubectl still
falls back to v2 when a manifest's kind is not in v3 (an unknown kind, a CRD
not yet created): it then only needs to see, for the Namespace kind as a
stand-in, a PATCH operation that takes `fieldValidation` — after which it
sends the request and reports the server's own answer ("no matches for kind
..."). This document therefore lists one PATCH operation per served kind
with its `x-kubernetes-group-version-kind` and the `fieldValidation`
parameter, and no definitions (kubectl then computes strategic merge patches
from its built-in types, as it does against any server).

The protobuf encoding follows gnostic's `openapiv2/OpenAPIv2.proto`
(`Document`, `Paths`, `NamedPathItem`, `PathItem`, `Operation`,
`ParametersItem` → `Parameter` → `NonBodyParameter` →
`QueryParameterSubSchema`, `NamedAny` → `Any.yaml`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pinnace.api.infos import ResourceInfo

ACCEPTED = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
"""What kubectl asks for; the answer is labelled octet-stream (Go's mime parser rejects the @)."""
CONTENT_TYPE = "application/octet-stream"


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str) -> bytes:
    """A length-delimited field (strings and embedded messages)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _item_path(info: ResourceInfo) -> str:
    prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
    scope = "/namespaces/{namespace}" if info.namespaced else ""
    return f"{prefix}{scope}/{info.plural}/{{name}}"


def _gvk_yaml(info: ResourceInfo) -> str:
    return f"group: {info.group}\nkind: {info.kind}\nversion: {info.version}\n"


def _operation(info: ResourceInfo) -> bytes:
    query = _field(2, "query") + _field(4, "fieldValidation") + _field(6, "string")
    parameter = _field(1, _field(2, _field(3, query)))  # ParametersItem.parameter.non_body.query
    extension = _field(1, "x-kubernetes-group-version-kind") + _field(2, _field(2, _gvk_yaml(info)))
    op_id = f"patch{info.kind}"
    return _field(5, op_id) + _field(8, parameter) + _field(13, extension)


def protobuf_document(infos: Iterable[ResourceInfo], version: str) -> bytes:
    paths = b"".join(
        _field(2, _field(1, _item_path(info)) + _field(2, _field(8, _operation(info))))
        for info in sorted(infos, key=_item_path)
    )
    info = _field(1, "Kubernetes") + _field(2, version)
    return _field(1, "2.0") + _field(2, info) + _field(8, paths)


def json_document(infos: Iterable[ResourceInfo], version: str) -> dict[str, Any]:
    """The same document as JSON, for clients that do not ask for protobuf."""
    paths = {
        _item_path(info): {
            "patch": {
                "operationId": f"patch{info.kind}",
                "parameters": [{"name": "fieldValidation", "in": "query", "type": "string"}],
                "x-kubernetes-group-version-kind": {
                    "group": info.group,
                    "kind": info.kind,
                    "version": info.version,
                },
            }
        }
        for info in infos
    }
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": version}, "paths": paths}
