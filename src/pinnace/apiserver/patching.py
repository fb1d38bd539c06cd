"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.

Strategic merge patch exists only for built-in kinds (their merge keys come
from the built-in schemas); for custom resources it is a 415, as upstream.
Each patch type is one entry of `PATCHERS`; `writing.patch` hands the result
to the path's storage as the next state. Server-side apply
(`application/apply-patch+yaml`) never reaches here: it needs the field
manager and the stored managedFields, so `writing.patch` hands it to
`ownership` and `applying`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonpatch
import jsonpointer

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import encoding, errors, strategic
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


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


Patcher = Callable[[ResourceInfo, Object, bytes, str], Any]
"""(kind, current object, request body, media type) → the patched object."""


def _merge(info: ResourceInfo, current: Object, body: bytes, media: str) -> Any:
    patch = encoding.decode(body, media, what="merge patch")
    if not isinstance(patch, dict):
        raise errors.BadRequest(
            "the body of a merge patch must be a JSON object; use "
            "application/json-patch+json for a list of operations"
        )
    return merge_patch(current, patch)


def _json(info: ResourceInfo, current: Object, body: bytes, media: str) -> Any:
    ops = encoding.decode(body, media, what="json patch")
    if not isinstance(ops, list):
        raise errors.BadRequest("the body of a json patch must be a list of operations")
    return _json_patch(info, current, ops)


def _strategic(info: ResourceInfo, current: Object, body: bytes, media: str) -> Any:
    patch = encoding.decode(body, media, what="strategic merge patch")
    if not isinstance(patch, dict):
        raise errors.BadRequest("the body of a strategic merge patch must be a JSON object")
    if info.definition is None:  # a view without lists (Scale): strategic is plain merge
        return merge_patch(current, patch)
    try:
        return strategic.apply(current, patch, info.definition)
    except strategic.PatchError as exc:
        raise errors.BadRequest(str(exc)) from exc


PATCHERS: dict[str, Patcher] = {
    encoding.JSON_PATCH: _json,
    encoding.MERGE_PATCH: _merge,
    encoding.STRATEGIC_PATCH: _strategic,
}
"""Every patch type served, by media type: a new one (server-side apply) is one more entry."""

BUILTIN_ONLY = frozenset({encoding.STRATEGIC_PATCH})
"""Patch types that need Go struct tags, so custom resources answer them with 415."""


def apply(info: ResourceInfo, current: Object, *, content_type: str | None, body: bytes) -> Any:
    """`current` with the request's patch applied (not stored; `writing.patch` passes it on)."""
    media = encoding.media_type(content_type)
    patcher = PATCHERS.get(media)
    if patcher is None or (info.is_custom and media in BUILTIN_ONLY):
        served = [m for m in PATCHERS if not (info.is_custom and m in BUILTIN_ONLY)]
        served.append(encoding.APPLY_PATCH)
        raise errors.UnsupportedMedia(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(served)
        )
    return patcher(info, current, body, media)


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
