"""`metadata.managedFields`: who owns which field, kept on every write.

The write path (`writing`) calls `track` on every create, update and
non-apply patch once the object is admitted; server-side apply (`applying`)
computes its own entries and uses the walks and the codec here. As kube's
field manager (k8s.io/apimachinery `util/managedfields`):

- an Update takes the fields it added or changed (`compare` of the stored and
  the new object), merged into its manager's earlier Update entry, and takes
  them away from every other manager; fields it removed leave every manager;
- the entry is keyed by manager, operation, apiVersion (Updates only) and
  subresource; its `time` moves only when it took something;
- objects stored without managedFields stay without on update (tracking starts
  on create, or with the `before-first-apply` entry of the first apply);
  `managedFields: []` in a request resets them; a request that omits them or
  sends an invalid list keeps the stored ones; a subresource write always
  starts from the stored ones;
- `apiVersion`, `kind` and server-owned metadata (name, uid, resourceVersion,
  …) are owned by nobody, nor `status` on the main resource of a kind with a
  status subresource (kube's reset fields), nor anything but `status` through it;
- at most 10 Update entries: the oldest merge into `ancient-changes`.

All of it is pure over dicts, and a write whose content is unchanged is
walked no deeper than the `==` of its unchanged parts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pinnace.apiserver import fieldsets, shapes
from pinnace.apiserver.fieldsets import Node
from pinnace.kits.kube.objects import Object

APPLY = "Apply"
UPDATE = "Update"
FIELDS_V1 = "FieldsV1"
BEFORE_FIRST_APPLY = "before-first-apply"
ANCIENT_CHANGES = "ancient-changes"
MAX_UPDATE_MANAGERS = 10
MAX_MANAGER_LENGTH = 128

_STRIPPED_META = (
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
)


_STRIPPED_KEYS = frozenset("f:" + k for k in _STRIPPED_META)
SELF = fieldsets.SELF


class ShapeError(ValueError):
    """A list item that its list type cannot key (no key field, a duplicate, a null)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True, slots=True)
class Entry:
    """One managedFields entry, its fields as a FieldsV1 trie."""

    manager: str
    operation: str
    api_version: str
    fields: Node
    time: str | None = None
    subresource: str = ""

    @property
    def ident(self) -> tuple[str, str, str, str]:
        """kube's manager identifier: appliers are one manager across apiVersions."""
        version = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def with_fields(self, fields: Node, *, time: str | None = None) -> Entry:
        """This entry owning `fields` (and, when given, stamped `time`)."""
        return Entry(
            self.manager,
            self.operation,
            self.api_version,
            fields,
            time or self.time,
            self.subresource,
        )

    def describe(self) -> str:
        """The manager as a conflict message names it (`"kubectl-edit" using apps/v1`)."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


Managed = dict[tuple[str, str, str, str], Entry]


def manager_name(query_value: str | None, user_agent: str | None) -> str:
    """`?fieldManager=`, else the User-Agent's first `/` segment (printable, 128 at most)."""
    if query_value:
        return query_value
    prefix = (user_agent or "").split("/", 1)[0]
    if not prefix.isprintable():
        prefix = "".join(c for c in prefix if c.isprintable())
    return prefix[:MAX_MANAGER_LENGTH]


def manager_problems(name: str) -> list[str]:
    """Why `name` is not a valid field manager (kube's ValidateFieldManager)."""
    problems = []
    if len(name.encode()) > MAX_MANAGER_LENGTH:
        problems.append(f"Too long: may not be more than {MAX_MANAGER_LENGTH} bytes")
    for i, c in enumerate(name):
        if not c.isprintable():
            problems.append(
                f'Invalid value: "{name}": invalid character U+{ord(c):04X} (at position {i})'
            )
    return problems


# -- the managedFields codec ---------------------------------------------------


def decode(entries: Any, *, trusted: bool = False) -> Managed | None:
    """The entries of a managedFields list, or None when it is not a valid one
    (`trusted`: as the server stored them, so their tries are not checked again)."""
    if not isinstance(entries, list):
        return None
    managed: Managed = {}
    for raw in entries:
        if not isinstance(raw, dict):
            return None
        operation = raw.get("operation")
        fields = raw.get("fieldsV1", {})
        if operation not in (APPLY, UPDATE) or raw.get("fieldsType", FIELDS_V1) != FIELDS_V1:
            return None
        if not trusted and not fieldsets.valid(fields):
            return None
        time = raw.get("time")
        entry = Entry(
            manager=str(raw.get("manager") or ""),
            operation=str(operation),
            api_version=str(raw.get("apiVersion") or ""),
            fields=fields,
            time=str(time) if time else None,
            subresource=str(raw.get("subresource") or ""),
        )
        managed[entry.ident] = entry
    return managed


def encode(managed: Mapping[Any, Entry]) -> list[dict[str, Any]]:
    """managedFields in kube's order: Apply before Update, then by time, manager, …"""
    ordered = list(managed.values())
    if len(ordered) > 1:
        ordered.sort(
            key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource)
        )
    out = []
    for e in ordered:
        raw: dict[str, Any] = {"manager": e.manager, "operation": e.operation}
        raw["apiVersion"] = e.api_version
        if e.time:
            raw["time"] = e.time
        raw["fieldsType"] = FIELDS_V1
        raw["fieldsV1"] = e.fields
        if e.subresource:
            raw["subresource"] = e.subresource
        out.append(raw)
    return out


def stored(obj: Object) -> Managed:
    """The managers of a stored object (none when it has none, or garbage)."""
    return decode((obj.get("metadata") or {}).get("managedFields"), trusted=True) or {}


# -- walking objects beside their shape ----------------------------------------

_MISSING: Any = object()


def element(item: Any, shape: shapes.Shape, path: str = "") -> str:
    """The path element of one item of a set or map list."""
    if shape.list_type == "map":
        if not isinstance(item, dict):
            raise ShapeError(path, "associative list with keys may not have non-map elements")
        keys = {}
        for k in shape.keys:
            if k in item:
                keys[k] = item[k]
            elif k in shape.defaults:
                keys[k] = shape.defaults[k]
        if not keys:
            listed = ",".join(f'"{k}"' for k in shape.keys)
            raise ShapeError(
                path,
                f"associative list with keys has an element that omits all key fields "
                f"[{listed}] (and doesn't have default values for any key fields)",
            )
        return fieldsets.key(keys)
    if isinstance(item, (dict, list)) or item is None:
        raise ShapeError(path, "associative list without keys has an element that is not a scalar")
    return fieldsets.value(item)


def elements(items: list[Any], shape: shapes.Shape, path: str = "") -> list[str] | None:
    """The elements of a granular list, or None when one cannot be keyed or repeats
    (such a stored list is then compared as a whole, as kube tolerates it)."""
    try:
        out = [element(item, shape, path) for item in items]
    except ShapeError:
        return None
    return out if len(set(out)) == len(out) else None


def granular_list(value: Any, shape: shapes.Shape) -> bool:
    return isinstance(value, list) and shape.list_type != "atomic"


def granular_map(value: Any, shape: shapes.Shape) -> bool:
    return isinstance(value, dict) and not shape.atomic_map


def everything(value: Any, shape: shapes.Shape) -> Node:
    """Every path of `value` (interior ones included), as a compare finds added fields."""
    if isinstance(value, dict) and value and not shape.atomic_map:
        node: Node = {SELF: {}}
        for k, v in value.items():
            node["f:" + k] = everything(v, shape.field(k)) if isinstance(v, (dict, list)) else {}
        return node
    if isinstance(value, list) and value and shape.list_type != "atomic":
        pes = elements(value, shape)
        if pes is not None:
            item = shape.item()
            return fieldsets.member(
                {pe: everything(v, item) for pe, v in zip(pes, value, strict=True)}
            )
    return {}


@dataclass(frozen=True, slots=True)
class Comparison:
    added: Node | None = None
    modified: Node | None = None
    removed: Node | None = None

    @property
    def changed(self) -> Node | None:
        """Added or modified: what a writer takes from everyone else."""
        return fieldsets.union(self.added, self.modified)

    def map(self, fn: Any) -> Comparison:
        return Comparison(fn(self.added), fn(self.modified), fn(self.removed))


def compare(old: Any, new: Any, shape: shapes.Shape) -> Comparison:
    """What changed from `old` to `new` (kube's typed Compare)."""
    added, modified, removed = _compare(old, new, shape)
    return Comparison(added, modified, removed)


_Triple = tuple[Node | None, Node | None, Node | None]
_SAME: _Triple = (None, None, None)
_LEAF_MODIFIED: _Triple = (None, {}, None)


def _compare(old: Any, new: Any, shape: shapes.Shape) -> _Triple:
    if type(old) is type(new) and old == new:
        return _SAME
    if isinstance(old, dict) and isinstance(new, dict) and not shape.atomic_map:
        return _compare_children(
            ((fieldsets.field(k), v, new.get(k, _MISSING), shape.field(k)) for k, v in old.items()),
            ((fieldsets.field(k), v, shape.field(k)) for k, v in new.items() if k not in old),
        )
    if isinstance(old, list) and isinstance(new, list) and shape.list_type != "atomic":
        old_pes, new_pes = elements(old, shape), elements(new, shape)
        if old_pes is not None and new_pes is not None:
            item = shape.item()
            by_pe = dict(zip(new_pes, new, strict=True))
            known = set(old_pes)
            return _compare_children(
                (
                    (pe, v, by_pe.get(pe, _MISSING), item)
                    for pe, v in zip(old_pes, old, strict=True)
                ),
                ((pe, v, item) for pe, v in zip(new_pes, new, strict=True) if pe not in known),
            )
    return _LEAF_MODIFIED


def _compare_children(
    pairs: Iterable[tuple[str, Any, Any, shapes.Shape]],
    fresh: Iterable[tuple[str, Any, shapes.Shape]],
) -> _Triple:
    added: Node = {}
    modified: Node = {}
    removed: Node = {}
    for pe, old, new, shape in pairs:
        if new is _MISSING:
            removed[pe] = everything(old, shape)
            continue
        a, m, r = _compare(old, new, shape)
        if a is not None:
            added[pe] = a
        if m is not None:
            modified[pe] = m
        if r is not None:
            removed[pe] = r
    for pe, new, shape in fresh:
        added[pe] = everything(new, shape)
    return (added or None, modified or None, removed or None)


def applied(value: Any, shape: shapes.Shape, path: str = "") -> Node | None:
    """The fields an applied configuration sets (kube's ToFieldSet); raises ShapeError
    for a list item that cannot be keyed or a repeated key."""
    if isinstance(value, dict):
        if shape.atomic_map:
            return {}
        out: Node = {}
        for k, v in value.items():
            sub = shape.field(k)
            node = applied(v, sub, f"{path}.{k}")
            if v is None or (isinstance(v, dict) and not v) or not shape.named(k):
                node = fieldsets.member(node)
            if node is not None:
                out[fieldsets.field(k)] = node
        return out or None
    if isinstance(value, list):
        if shape.list_type == "atomic":
            return {}
        items: Node = {}
        item_shape = shape.item()
        for i, v in enumerate(value):
            pe = element(v, shape, f"{path}[{i}]")
            if pe in items:
                raise ShapeError(path, f"duplicate entries for key {fieldsets.element_string(pe)}")
            items[pe] = fieldsets.member(
                applied(v, item_shape, path + fieldsets.element_string(pe))
            )
        return items or None
    if value is None:
        return None
    return {}


def named(node: Node | None, shape: shapes.Shape) -> Node | None:
    """`node` with every declared field on a member's path made a member too (kube's
    EnsureNamedFieldsAreMembers), so pruning sees the structs around owned leaves."""
    if not node:
        return node
    out: Node = {}
    for pe, child in node.items():
        if pe == fieldsets.SELF:
            out[pe] = child
            continue
        if pe.startswith("f:"):
            name = pe[2:]
            sub = named(child, shape.field(name))
            out[pe] = fieldsets.member(sub) if shape.named(name) else sub
        else:
            out[pe] = named(child, shape.item())
    return out


# -- what each write may own -----------------------------------------------------


def ownable(node: Node | None, *, has_status: bool, subresource: str) -> Node | None:
    """`node` without what nobody owns on this write path (see the module docstring)."""
    if node is None:
        return None
    if subresource == "status":
        return fieldsets.only(node, "f:status")
    meta = node.get("f:metadata")
    if (
        "f:apiVersion" not in node
        and "f:kind" not in node
        and not (has_status and "f:status" in node)
        and (meta is None or (SELF not in meta and not _STRIPPED_KEYS.intersection(meta)))
    ):
        return node
    node = {k: v for k, v in node.items() if k not in ("f:apiVersion", "f:kind")}
    if has_status and not subresource:
        node.pop("f:status", None)
    meta = node.get("f:metadata")
    if meta is not None:
        kept = {
            k: v for k, v in meta.items() if k != fieldsets.SELF and k[2:] not in _STRIPPED_META
        }
        if kept:
            node["f:metadata"] = kept
        else:
            del node["f:metadata"]
    return node or None


def without_managed_fields(obj: Object) -> Object:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


# -- Update ----------------------------------------------------------------------


def take(
    managed: Managed,
    cmp: Comparison,
    *,
    manager: Entry,
    now: str,
) -> Managed:
    """`managed` after a writer (`manager`, an Update or Apply entry whose fields are
    ignored) changed `cmp`: others lose what it changed or removed, it gains what it
    changed (merged into its earlier entry, with the time moved)."""
    changed = cmp.changed
    out: Managed = {}
    for ident, entry in managed.items():
        fields = fieldsets.difference(fieldsets.difference(entry.fields, changed), cmp.removed)
        if fields is not None:
            out[ident] = entry if fields is entry.fields else entry.with_fields(fields)
    if changed is not None:
        previous = out.get(manager.ident)
        fields = fieldsets.union(changed, previous.fields if previous else None)
        out[manager.ident] = manager.with_fields(fields or {}, time=now)
    return cap(out)


def cap(managed: Managed) -> Managed:
    """At most MAX_UPDATE_MANAGERS Update entries: the oldest merge, per apiVersion,
    into an `ancient-changes` entry (kube's capManagersManager)."""
    updaters = [e for e in managed.values() if e.operation == UPDATE]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return managed
    out = dict(managed)
    updaters.sort(key=lambda e: (e.time or "", e.ident))
    first: dict[str, Entry] = {}
    count = len(updaters)
    for entry in updaters:
        if count <= MAX_UPDATE_MANAGERS:
            break
        bucket = Entry(ANCIENT_CHANGES, UPDATE, entry.api_version, {})
        if entry.api_version not in first:
            first[entry.api_version] = entry
            continue
        if bucket.ident not in out:
            seed = first[entry.api_version]
            out.pop(seed.ident, None)
            out[bucket.ident] = bucket.with_fields(seed.fields, time=seed.time)
        merged = fieldsets.union(entry.fields, out[bucket.ident].fields) or {}
        out[bucket.ident] = out[bucket.ident].with_fields(merged, time=entry.time)
        out.pop(entry.ident, None)
        count -= 1
    return out


@functools.cache
def skeleton(definition: str | None) -> Object:
    """What a new object looks like before its fields are set: the top-level structs
    a typed kube object always carries (so `spec` itself is not owned on create)."""
    if definition is None:
        return {}
    shape = shapes.of({"$ref": "#/components/schemas/" + definition})
    return {k: {} for k in ("metadata", "spec", "status") if shape.named(k)}


def track(
    old: Object | None,
    new: Object,
    *,
    shape: shapes.Shape,
    definition: str | None,
    api_version: str,
    manager: str,
    now: str,
    subresource: str = "",
    has_status: bool = False,
) -> None:
    """Set `new`'s managedFields after a create (`old` None) or an Update of `old`."""
    meta = new["metadata"]
    sent = meta.pop("managedFields", None)
    kept = (old.get("metadata") or {}).get("managedFields") if old is not None else None
    base: Managed | None = None
    if old is not None and (subresource or sent is None or sent == kept):
        base = decode(kept, trusted=True)
    elif isinstance(sent, list) and (not sent or sent == [{}]):
        base = {}
    else:
        base = decode(sent) if sent else None
        if not base and old is not None:
            base = decode(kept, trusted=True)
    if not base and old is not None:
        return
    writer = Entry(manager or "unknown", UPDATE, api_version, {}, subresource=subresource)
    if old is None and not base:
        owned = _created(new, shape, skeleton(definition), has_status=has_status)
        if subresource:
            owned = ownable(owned, has_status=has_status, subresource=subresource)
        if owned is not None:
            meta["managedFields"] = encode({writer.ident: writer.with_fields(owned, time=now)})
        return
    before = without_managed_fields(old) if old is not None else skeleton(definition)
    cmp = compare(before, new, shape).map(
        functools.partial(ownable, has_status=has_status, subresource=subresource)
    )
    managed = take(base or {}, cmp, manager=writer, now=now)
    if managed:
        meta["managedFields"] = encode(managed)


def _created(
    new: Object, shape: shapes.Shape, skeleton: Object, *, has_status: bool
) -> Node | None:
    """What `compare(skeleton, new)` adds that a create may own, without a compare."""
    out: Node = {}
    for k, v in new.items():
        if k in ("apiVersion", "kind") or (has_status and k == "status"):
            continue
        sub = shape.field(k)
        if k == "metadata" and isinstance(v, dict):
            node: Node = {
                "f:" + mk: everything(mv, sub.field(mk)) if isinstance(mv, (dict, list)) else {}
                for mk, mv in v.items()
                if mk not in _STRIPPED_META
            }
        elif k in skeleton and isinstance(v, dict):
            node = {e: c for e, c in everything(v, sub).items() if e != SELF}
        else:
            out["f:" + k] = everything(v, sub)
            continue
        if node:
            out["f:" + k] = node
    return out or None
