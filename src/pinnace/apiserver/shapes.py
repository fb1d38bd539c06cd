"""How each field of a kind merges, read from its OpenAPI schema: `Shape`.

`managing` and `applying` walk objects beside their shape, the structured-merge-diff
types of kube's schema conversion:

- a map is granular (merged key by key) unless `x-kubernetes-map-type: atomic`;
  its declared `properties` are *named* fields, `additionalProperties` keys are not;
- a list is `x-kubernetes-list-type` `map` (items keyed by
  `x-kubernetes-list-map-keys`, a missing key taking its schema `default`), `set`
  (scalars by value) or `atomic`; a built-in list without a list type that has
  `x-kubernetes-patch-strategy: merge` is a map keyed by its
  `x-kubernetes-patch-merge-key` (a set without one), as kube-openapi converts it;
  every other list is atomic;
- fields without a schema (`x-kubernetes-preserve-unknown-fields`, int-or-string,
  `JSON`) are deduced from the value: maps granular, lists atomic.

A custom resource's `metadata` is ObjectMeta whatever its CRD says, as kube
merges it. Shapes are compiled lazily and cached per schema node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pinnace.api import schemas
from pinnace.api.infos import ResourceInfo

Schema = Mapping[str, Any]

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


class Shape:
    """The merge rules at one place of an object (see the module docstring)."""

    __slots__ = ("_fields", "_item", "_node", "atomic_map", "defaults", "keys", "list_type")

    def __init__(self, node: Schema | None) -> None:
        self._node = node
        self._fields: dict[str, Shape] = {}
        self._item: Shape | None = None
        self.atomic_map = False
        self.list_type = "atomic"
        self.keys: tuple[str, ...] = ()
        self.defaults: dict[str, Any] = {}
        if node is None:
            return
        self.atomic_map = node.get("x-kubernetes-map-type") == "atomic"
        declared = node.get("x-kubernetes-list-type")
        if declared in ("map", "set", "atomic"):
            self.list_type = str(declared)
            if declared == "map":
                self.keys = tuple(str(k) for k in node.get("x-kubernetes-list-map-keys") or ())
        elif "merge" in str(node.get("x-kubernetes-patch-strategy") or "").split(","):
            merge_key = node.get("x-kubernetes-patch-merge-key")
            self.list_type = "map" if merge_key else "set"
            self.keys = (str(merge_key),) if merge_key else ()
        if self.list_type == "map" and not self.keys:
            self.list_type = "atomic"
        if self.keys:
            item = _resolved(node.get("items"))
            props = (item or {}).get("properties") or {}
            for k in self.keys:
                prop = _resolved(props.get(k))
                if prop is not None and "default" in prop:
                    self.defaults[k] = prop["default"]
                elif k == "protocol":
                    # The built-in schemas carry no defaults; every `protocol` key
                    # (ports of containers, services, endpoints) defaults to TCP.
                    self.defaults[k] = "TCP"

    def named(self, name: str) -> bool:
        """Whether `name` is a declared field here (not a key of a free-form map)."""
        props = self._node.get("properties") if self._node is not None else None
        return isinstance(props, Mapping) and name in props

    def field(self, name: str) -> Shape:
        shape = self._fields.get(name)
        if shape is None:
            shape = self._fields[name] = self._child(name)
        return shape

    def _child(self, name: str) -> Shape:
        node = self._node
        if node is None:
            return DEDUCED
        props = node.get("properties")
        if isinstance(props, Mapping) and name in props:
            return of(props[name])
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping):
            return of(extra)
        return DEDUCED

    def item(self) -> Shape:
        if self._item is None:
            items = self._node.get("items") if self._node is not None else None
            self._item = of(items) if isinstance(items, Mapping) else DEDUCED
        return self._item


DEDUCED = Shape(None)

_cache: dict[int, tuple[Schema, Shape]] = {}
_CACHE_LIMIT = 50_000


def _resolved(node: Any) -> Schema | None:
    if not isinstance(node, Mapping):
        return None
    try:
        return schemas.resolve(node)
    except KeyError:
        return None


def of(node: Schema) -> Shape:
    """The shape of a schema node (a `$ref` is followed), cached by node identity."""
    hit = _cache.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    resolved = _resolved(node)
    shape = Shape(resolved) if resolved is not None else DEDUCED
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[id(node)] = (node, shape)
    return shape


class _Root(Shape):
    """A kind's root: its schema, but ObjectMeta for `metadata` (CRDs say only `type: object`)."""

    __slots__ = ()

    def _child(self, name: str) -> Shape:
        if name == "metadata":
            return of(schemas.definition(_OBJECT_META))
        return super()._child(name)


_roots: dict[int, tuple[Schema | None, Shape]] = {}


def root(info: ResourceInfo) -> Shape:
    """The shape of a whole object of `info`'s kind."""
    node = schemas.definition(info.definition) if info.definition else info.openapi_schema
    hit = _roots.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    shape = _Root(_resolved(node) if node is not None else {"type": "object"})
    if len(_roots) >= 1024:
        _roots.clear()
    _roots[id(node)] = (node, shape)
    return shape
