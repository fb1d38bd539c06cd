"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.

Strategic merge patch exists only for built-in kinds (their merge keys come
from the built-in schemas); for custom resources it is a 415, as upstream.
Server-side apply (`application/apply-patch+yaml`) never reaches here:
`writing` hands it to `ownership` and `applying`.
"""

from __future__ import annotations

from typing import Any

import jsonpatch
import jsonpointer

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import encoding, errors, strategic
from pinnace.apiserver.messages import Request
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

_ACCEPTED = "application/json-patch+json, application/merge-patch+json"
_ACCEPTED_BUILTIN = _ACCEPTED + ", application/strategic-merge-patch+json"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return objects.clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply(info: ResourceInfo, current: Object, req: Request) -> Any:
    content_type = encoding.media_type(req.headers.get("content-type"))
    accepted = _ACCEPTED if info.is_custom else _ACCEPTED_BUILTIN
    if content_type == encoding.MERGE_PATCH:
        body = encoding.decode(req.body, content_type, what="merge patch")
        if not isinstance(body, dict):
            raise errors.BadRequest(
                "the body of a merge patch must be a JSON object; use "
                "application/json-patch+json for a list of operations"
            )
        return merge_patch(current, body)
    if content_type == encoding.JSON_PATCH:
        ops = encoding.decode(req.body, content_type, what="json patch")
        if not isinstance(ops, list):
            raise errors.BadRequest("the body of a json patch must be a list of operations")
        return _json_patch(info, current, ops)
    if content_type == encoding.STRATEGIC_PATCH and not info.is_custom and info.definition:
        body = encoding.decode(req.body, content_type, what="strategic merge patch")
        if not isinstance(body, dict):
            raise errors.BadRequest("the body of a strategic merge patch must be a JSON object")
        try:
            return strategic.apply(current, body, info.definition)
        except strategic.PatchError as exc:
            raise errors.BadRequest(str(exc)) from exc
    raise errors.UnsupportedMedia(
        "the body of the request was in an unknown format - accepted media types include: "
        + accepted
    )


def _json_patch(info: ResourceInfo, current: Object, ops: list[Any]) -> Any:
    name = str(current.get("metadata", {}).get("name", ""))
    try:
        patch = jsonpatch.JsonPatch(ops)
        return patch.apply(objects.clone(current))
    except (
        jsonpatch.JsonPatchTestFailed,
        jsonpatch.JsonPatchConflict,
        jsonpointer.JsonPointerException,
    ) as exc:
        # kube answers a patch that does not apply (a failed `test` included) with 422.
        message = f"the server rejected our request due to an error in our request: {exc}"
        raise errors.Invalid.of(info.kind, name, info.group, [errors.cause("", message)]) from exc
    except (jsonpatch.InvalidJsonPatch, TypeError, KeyError, AttributeError) as exc:
        raise errors.BadRequest(f"invalid json patch: {exc}") from exc
