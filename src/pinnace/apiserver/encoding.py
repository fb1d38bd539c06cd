"""Bodies in and out: JSON, YAML or protobuf request bodies, JSON answers, media types.

Clients send JSON (the Python client sends no Content-Type at all, which kube
treats as JSON) or YAML; kubectl's typed commands and client-go send protobuf,
decoded into the same dicts by `pinnace.api.protos.decoding` for the kinds it
has tables for (415 for others). Answers are always JSON, whatever protobuf an
Accept header asks for. Table answers are chosen here from the Accept header.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from pinnace.api.protos import decoding as protobuf
from pinnace.apiserver import errors

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def decode(body: bytes, content_type: str | None, *, what: str) -> Any:
    """Parse a request body; `what` names the expected kind in the error message."""
    kind = media_type(content_type)
    if kind == PROTOBUF:
        return _decode_protobuf(body, what=what)
    if not body.strip():
        raise errors.BadRequest(f"the body of the request was empty; expected {what}")
    try:
        if kind in ("application/yaml", "application/x-yaml", "text/yaml", APPLY_PATCH):
            return yaml.safe_load(body)
        return orjson.loads(body)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise errors.BadRequest(
            f"the object provided is unrecognized (must be of type {what}): "
            f"couldn't get version/kind; json parse error: {detail}"
        ) from exc


def _decode_protobuf(body: bytes, *, what: str) -> Any:
    try:
        return protobuf.decode(body)
    except protobuf.UnknownKind as exc:
        raise errors.UnsupportedMedia(
            f"the body of the request was in an unknown format - {exc} - accepted media "
            "types include: application/json, application/yaml"
        ) from exc
    except protobuf.DecodeError as exc:
        raise errors.BadRequest(
            f"the object provided is unrecognized (must be of type {what}): {exc}"
        ) from exc


def decode_object(body: bytes, content_type: str | None, *, kind: str) -> dict[str, Any]:
    value = decode(body, content_type, what=kind)
    if not isinstance(value, dict):
        raise errors.BadRequest(
            f"the object provided is unrecognized (must be of type {kind}): "
            f"cannot unmarshal {type(value).__name__} into Go value of type struct"
        )
    return value


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def wants_table(accept: str | None) -> bool:
    """kubectl get asks for `application/json;as=Table;v=v1;g=meta.k8s.io` first."""
    if not accept:
        return False
    for part in accept.split(","):
        params = {
            p.split("=", 1)[0].strip(): p.split("=", 1)[-1].strip() for p in part.split(";")[1:]
        }
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return True
        if media_type(part) in ("application/json", "*/*", "application/*"):
            return False
    return False
