"""Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds.

`patching` calls `apply(current, patch, definition)` for a PATCH on a built-in
kind (custom resources answer 415 before reaching here). Our own port of
apimachinery's `strategicpatch.StrategicMergePatch` (MergeParallelList,
IgnoreUnmatchedNulls), driven by the `x-kubernetes-patch-strategy` and
`x-kubernetes-patch-merge-key` of the kind's schema in `pinnace.api.schemas`:

- maps merge key by key; `null` deletes a key; a map under `patchStrategy: replace`
  is replaced;
- lists under `patchStrategy: merge` merge: maps by their merge key (containers by
  `name`, ports by `containerPort`, volumeMounts by `mountPath`), primitives as a
  set (finalizers); every other list is replaced;
- directives: `$patch: replace|delete|merge` (in a map or a list element),
  `$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`.

That is what kubectl 1.32 sends for `kubectl apply` (three-way patches) and
`kubectl patch`. A malformed patch raises `PatchError` (the caller answers 400).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pinnace.api import schemas
from pinnace.kits.kube.objects import Object

Schema = Mapping[str, Any] | None

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder/"
DELETE_PRIMITIVES = "$deleteFromPrimitiveList/"


class PatchError(ValueError):
    """The patch body is not a valid strategic merge patch (answer 400 BadRequest)."""


def apply(current: Object, patch: Mapping[str, Any], definition: str | None) -> Object:
    """`current` with `patch` applied; neither argument is modified.

    `definition` names the kind's schema in `pinnace.api.schemas` (None: plain
    merge semantics with every list replaced). Raises `PatchError`.
    """
    if not isinstance(patch, Mapping):
        raise PatchError("a strategic merge patch must be a JSON object")
    schema = schemas.definition(definition) if definition else None
    return _merge_map(copy.deepcopy(current), copy.deepcopy(dict(patch)), schema)


# -- schema lookups ----------------------------------------------------------


def _field(schema: Schema, key: str) -> Schema:
    if schema is None:
        return None
    node = schemas.resolve(schema)
    props = node.get("properties") or {}
    if key in props:
        return schemas.resolve(props[key])
    extra = node.get("additionalProperties")
    return schemas.resolve(extra) if isinstance(extra, Mapping) else None


def _meta(schema: Schema) -> tuple[str, str]:
    """(patch strategy without retainKeys, merge key) of a field."""
    if schema is None:
        return "", ""
    strategies = str(schema.get("x-kubernetes-patch-strategy") or "").split(",")
    strategy = next((s for s in strategies if s and s != "retainKeys"), "")
    return strategy, str(schema.get("x-kubernetes-patch-merge-key") or "")


def _items(schema: Schema) -> Schema:
    if schema is None or not isinstance(schema.get("items"), Mapping):
        return None
    return schemas.resolve(schema["items"])


# -- maps --------------------------------------------------------------------


def _merge_map(original: dict[str, Any], patch: dict[str, Any], schema: Schema) -> dict[str, Any]:
    if DIRECTIVE in patch:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            replaced: dict[str, Any] = _strip(patch)
            return replaced
        if directive == "delete":
            return {}
        if directive != "merge":
            raise PatchError(f"unknown patch type: {directive} in map: {_show(patch)}")
    retain = patch.pop(RETAIN_KEYS, None)
    if retain is not None:
        if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
            raise PatchError(f"invalid type for $retainKeys: {_show(retain)}, expected a list")
        for key in list(original):
            if key not in retain:
                del original[key]
    for key in [k for k in patch if k.startswith(SET_ORDER)]:
        _apply_element_order(original, patch, key, schema)
    for key, value in patch.items():
        if key.startswith(DELETE_PRIMITIVES):
            name = key[len(DELETE_PRIMITIVES) :]
            if not isinstance(value, list):
                raise PatchError(f"invalid type for {key}: {_show(value)}, expected a list")
            if isinstance(original.get(name), list):
                drop = {_key(v) for v in value}
                original[name] = [v for v in original[name] if _key(v) not in drop]
            continue
        if value is None:
            original.pop(key, None)
            continue
        sub = _field(schema, key)
        if key not in original:
            original[key] = _new_value(value, sub)
            continue
        current = original[key]
        if isinstance(current, dict) and isinstance(value, dict):
            if _meta(sub)[0] == "replace":
                original[key] = _strip(value)
            else:
                original[key] = _merge_map(current, value, sub)
        elif isinstance(current, list) and isinstance(value, list):
            original[key] = _merge_list(current, value, sub)
        else:
            original[key] = _strip(value)
    return original


def _new_value(value: Any, schema: Schema) -> Any:
    if isinstance(value, dict):
        return _merge_map({}, value, schema)
    if isinstance(value, list):
        return _merge_list([], value, schema)
    return value


def _strip(value: Any) -> Any:
    """A replacing value without nulls in maps or leftover directives."""
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if v is not None
            and k not in (DIRECTIVE, RETAIN_KEYS)
            and not k.startswith((SET_ORDER, DELETE_PRIMITIVES))
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


# -- lists -------------------------------------------------------------------


def _merge_list(original: list[Any], patch: list[Any], schema: Schema) -> list[Any]:
    strategy, merge_key = _meta(schema)
    if strategy != "merge":
        return [_strip(v) for v in patch]
    if not original and not patch:
        return original
    is_maps = _element_kind(original + patch)
    if not is_maps:
        merged = _dedupe(original + patch)
        return _ordered(merged, patch, original, "")
    if not merge_key:
        raise PatchError("cannot merge lists without merge key")
    item_schema = _items(schema)
    plain: list[dict[str, Any]] = []
    replace = False
    for item in patch:
        directive = item.get(DIRECTIVE)
        if directive is None:
            plain.append(item)
        elif directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            gone = _key(item[merge_key])
            original = [o for o in original if _key(_merge_value(o, merge_key)) != gone]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise PatchError("merging lists cannot yet be specified in the patch")
        else:
            raise PatchError(f"unknown patch type: {directive} in map: {_show(item)}")
    if replace:
        original, plain = [_strip(p) for p in plain], []
    server_order = list(original)
    for item in plain:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        wanted = _key(item[merge_key])
        for i, existing in enumerate(original):
            if isinstance(existing, dict) and _key(existing.get(merge_key)) == wanted:
                original[i] = _merge_map(existing, item, item_schema)
                break
        else:
            original.append(_merge_map({}, item, item_schema))
    return _ordered(original, plain, server_order, merge_key)


def _apply_element_order(
    original: dict[str, Any], patch: dict[str, Any], key: str, schema: Schema
) -> None:
    order = patch.pop(key)
    name = key[len(SET_ORDER) :]
    if not isinstance(order, list):
        raise PatchError(f"invalid type for {key}: {_show(order)}, expected a list")
    sub = _field(schema, name)
    merge_key = _meta(sub)[1]
    if merge_key and not all(isinstance(o, dict) and merge_key in o for o in order):
        raise PatchError(f"{key} items must carry the merge key {merge_key}")
    had, has = name in original, name in patch
    current: list[Any] = original.get(name) or []
    value: list[Any] = patch.get(name) or []
    if not isinstance(current, list) or not isinstance(value, list):
        raise PatchError(f"invalid type for {name}: expected a list beside {key}")
    if had and has:
        merged = _merge_list(current, value, sub)
    elif has:
        merged = _merge_list([], value, sub)
    elif had:
        merged = current
    else:
        return
    patch.pop(name, None)
    original[name] = _ordered(merged, order, current, merge_key)


def _element_kind(values: list[Any]) -> bool:
    """True when the elements are maps, False for primitives; mixed lists are an error."""
    kinds = {type(v) is dict for v in values}
    if any(isinstance(v, list) for v in values):
        raise PatchError("lists of lists are not supported in a strategic merge patch")
    if len(kinds) > 1:
        raise PatchError("the elements of a list are not all of the same type")
    return kinds == {True}


def _ordered(
    merged: list[Any], patch_order: list[Any], server_order: list[Any], mk: str
) -> list[Any]:
    """apimachinery's normalizeElementOrder: patch items in patch order, others in server
    order, interleaved by their place in the server list."""
    wanted = {_ident(p, mk) for p in patch_order} - {None}
    patch_items = [m for m in merged if _ident(m, mk) in wanted]
    server_only = [m for m in merged if _ident(m, mk) not in wanted]
    patch_items = _sorted_by(patch_items, patch_order, mk)
    server_only = _sorted_by(server_only, server_order, mk)
    where: dict[str | None, int] = {
        ident: i for i, v in enumerate(server_order) if (ident := _ident(v, mk)) is not None
    }
    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(patch_items):
        if i >= len(server_only):
            out.append(patch_items[j])
            j += 1
        elif j >= len(patch_items):
            out.append(server_only[i])
            i += 1
        else:
            left = where.get(_ident(server_only[i], mk))
            right = where.get(_ident(patch_items[j], mk))
            if left is not None and right is not None and left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(patch_items[j])
                j += 1
    return out


def _sorted_by(values: list[Any], order: list[Any], mk: str) -> list[Any]:
    place: dict[str | None, int] = {
        ident: i for i, v in enumerate(order) if (ident := _ident(v, mk)) is not None
    }
    known = [v for v in values if _ident(v, mk) in place]
    known.sort(key=lambda v: place[_ident(v, mk)])
    return known + [v for v in values if _ident(v, mk) not in place]


def _ident(value: Any, mk: str) -> str | None:
    if not mk:
        return _key(value)
    if isinstance(value, dict) and mk in value:
        return _key(value[mk])
    return None


def _merge_value(value: Any, mk: str) -> Any:
    return value.get(mk) if isinstance(value, dict) else None


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _dedupe(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for v in values:
        k = _key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _no_merge_key(item: Any, merge_key: str) -> PatchError:
    return PatchError(f"map: {_show(item)} does not contain declared merge key: {merge_key}")


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
