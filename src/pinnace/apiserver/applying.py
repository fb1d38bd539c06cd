"""Server-side apply: merge an applied configuration, prune, find conflicts.

`writing` hands a PATCH with `application/apply-patch+yaml` here (`apply`),
then stores the object it returns like any update (or create: apply creates a
missing object). As kube's structured-merge-diff Updater.Apply:

1. an object without managedFields first gets a `before-first-apply` Update
   entry owning everything it holds, so an apply cannot silently take over;
2. the configuration is merged into the live object by the kind's `shapes`
   (list maps by key, sets by value, atomics replaced; items in the
   configuration's order, the others kept where they were);
3. the applier now owns exactly the configuration's fields; fields it applied
   last time and no longer does are removed unless another manager owns them;
4. a field another manager owns that the merge changes is a conflict: 409
   naming each manager and field, unless `force` (`--force-conflicts`), which
   takes them. For the `kubectl` manager, fields whose live value still equals
   the client-side `last-applied-configuration` annotation are not conflicts
   (the upgrade path from `kubectl apply`), and that annotation is kept in step;
5. an apply that changes neither the object nor the managers is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from pinnace.apiserver import fieldsets, managing, shapes
from pinnace.apiserver.fieldsets import Node
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
KUBECTL = "kubectl"
_MISSING: Any = object()


class ApplyError(ValueError):
    """The configuration cannot be applied (answer 400 BadRequest with this message)."""


@dataclass(frozen=True, slots=True)
class Conflict:
    manager: managing.Entry
    path: str


class Conflicts(Exception):
    """Fields another manager owns would change (answer 409 Conflict)."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if len(self.conflicts) == 1:
            c = self.conflicts[0]
            return f"Apply failed with 1 conflict: conflict with {c.manager.describe()}: {c.path}"
        lines: list[str] = []
        by_manager: dict[str, list[str]] = {}
        for c in self.conflicts:
            by_manager.setdefault(c.manager.describe(), []).append(c.path)
        for who in sorted(by_manager):
            lines.append(f"conflicts with {who}:")
            lines.extend(f"- {path}" for path in by_manager[who])
        return f"Apply failed with {len(self.conflicts)} conflicts: " + "\n".join(lines)

    def causes(self) -> list[dict[str, str]]:
        return [
            {
                "reason": "FieldManagerConflict",
                "message": f"conflict with {c.manager.describe()}",
                "field": c.path,
            }
            for c in self.conflicts
        ]


@dataclass(frozen=True, slots=True)
class Request:
    """One apply: who applies what, where."""

    config: Object
    manager: str
    api_version: str
    force: bool = False
    subresource: str = ""
    has_status: bool = False


def apply(live: Object | None, req: Request, *, shape: shapes.Shape, now: str) -> Object:
    """The object to store after applying `req.config` to `live` (None: create it),
    with its managedFields set. Raises `ApplyError` or `Conflicts`."""
    config = _prepared(req)
    try:
        owned = managing.applied(config, shape)
    except managing.ShapeError as exc:
        raise ApplyError(f"failed to create typed patch object: {exc}") from exc
    owned = managing.ownable(owned, has_status=req.has_status, subresource=req.subresource)
    current = managing.without_managed_fields(live) if live is not None else {}
    managed = managing.stored(live) if live is not None else {}
    if live is not None and not managed:
        managed = _before_first_apply(current, shape, req, now)
    try:
        return _apply(current, config, owned, managed, req, shape=shape, now=now, force=req.force)
    except Conflicts as exc:
        if req.manager != KUBECTL or req.force or live is None:
            raise
        allowed = _last_applied_fields(current, shape)
        rest = [c for c in exc.conflicts if c.path not in allowed]
        if rest:
            raise Conflicts(rest) from None
        return _apply(current, config, owned, managed, req, shape=shape, now=now, force=True)


def _prepared(req: Request) -> Object:
    config = req.config
    if not isinstance(config.get("metadata", {}), dict):
        raise ApplyError("metadata must be an object")
    if (config.get("metadata") or {}).get("managedFields") is not None:
        raise ApplyError("metadata.managedFields must be nil")
    if req.subresource == "status":
        config = {
            k: v for k, v in config.items() if k in ("apiVersion", "kind", "metadata", "status")
        }
    elif req.has_status and not req.subresource:
        # A main-resource apply leaves status to the status subresource, as kube resets it.
        config = {k: v for k, v in config.items() if k != "status"}
    return config


def _before_first_apply(
    current: Object, shape: shapes.Shape, req: Request, now: str
) -> managing.Managed:
    everything = managing.everything(current, shape)
    owned = managing.ownable(everything, has_status=req.has_status, subresource="")
    if owned is None:
        return {}
    entry = managing.Entry(
        managing.BEFORE_FIRST_APPLY, managing.UPDATE, req.api_version, owned, now
    )
    return {entry.ident: entry}


def _apply(
    current: Object,
    config: Object,
    owned: Node | None,
    managed: managing.Managed,
    req: Request,
    *,
    shape: shapes.Shape,
    now: str,
    force: bool,
) -> Object:
    result = merge(current, config, shape)
    merged: Object = result if isinstance(result, dict) else {}
    applier = managing.Entry(
        req.manager, managing.APPLY, req.api_version, owned or {}, subresource=req.subresource
    )
    last = managed.get(applier.ident)
    managers = dict(managed)
    if owned is not None:
        managers[applier.ident] = applier
    else:
        managers.pop(applier.ident, None)
    if last is not None:
        merged = _prune(merged, last.fields, managers, shape)
    cmp = managing.compare(current, merged, shape).map(
        lambda n: managing.ownable(n, has_status=req.has_status, subresource=req.subresource)
    )
    changed = cmp.changed
    conflicts: list[Conflict] = []
    for ident, entry in managers.items():
        if ident == applier.ident:
            continue
        clash = fieldsets.intersection(entry.fields, changed)
        conflicts.extend(Conflict(entry, p) for p in fieldsets.paths(clash))
    if conflicts and not force:
        conflicts.sort(key=lambda c: c.manager.describe())
        raise Conflicts(conflicts)
    out: managing.Managed = {}
    for ident, entry in managers.items():
        if ident == applier.ident:
            out[ident] = entry
            continue
        fields = fieldsets.difference(fieldsets.difference(entry.fields, changed), cmp.removed)
        if fields is not None:
            out[ident] = (
                entry
                if fields is entry.fields
                else managing.Entry(
                    entry.manager,
                    entry.operation,
                    entry.api_version,
                    fields,
                    entry.time,
                    entry.subresource,
                )
            )
    unchanged = merged == current
    if applier.ident in out:
        # The time moves when the object did (or the entry is new), as kube's.
        kept = last.time if unchanged and last is not None else None
        mine = out[applier.ident]
        out[applier.ident] = managing.Entry(
            mine.manager,
            mine.operation,
            mine.api_version,
            mine.fields,
            kept or now,
            mine.subresource,
        )
    if req.manager == KUBECTL and LAST_APPLIED in (
        (merged.get("metadata") or {}).get("annotations") or {}
    ):
        merged = _with_last_applied(merged, req.config)
    merged = {**merged, "metadata": {**(merged.get("metadata") or {})}}
    if out:
        merged["metadata"]["managedFields"] = managing.encode(managing.cap(out))
    return merged


# -- merging ---------------------------------------------------------------------


def merge(live: Any, config: Any, shape: shapes.Shape) -> Any:
    """`config` merged into `live` (neither is modified; unchanged parts are shared)."""
    if isinstance(config, dict) and isinstance(live, dict) and not shape.atomic_map:
        if not config:
            return live if live else {}
        out = dict(live)
        for k, v in config.items():
            if v is None:
                out.pop(k, None)
            elif k in live:
                out[k] = merge(live[k], v, shape.field(k))
            else:
                out[k] = _clean(v)
        return out
    if (
        isinstance(config, list)
        and isinstance(live, list)
        and shape.list_type != "atomic"
        and (config or live)
    ):
        return _merge_list(live, config, shape)
    return _clean(config)


def _clean(value: Any) -> Any:
    """A copy of configured `value` without its null map values (null means absent)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _merge_list(live: list[Any], config: list[Any], shape: shapes.Shape) -> list[Any]:
    """structured-merge-diff's list merge: configured items in the configuration's
    order, live-only items kept where they stood relative to the shared ones."""
    try:
        rpes = [managing.element(v, shape) for v in config]
    except managing.ShapeError:
        return list(_clean(config))
    lpes = managing.elements(live, shape)
    if lpes is None:
        return list(_clean(config))
    item = shape.item()
    left = dict(zip(lpes, live, strict=True))
    right = dict(zip(rpes, config, strict=True))
    shared = [pe for pe in rpes if pe in left]
    shared.reverse()
    next_shared = shared.pop() if shared else None
    done: set[str] = set()
    out: list[Any] = []
    li = ri = 0
    while li < len(lpes) or ri < len(rpes):
        if li < len(lpes) and ri < len(rpes):
            pe = lpes[li]
            if pe == rpes[ri]:
                done.add(pe)
                out.append(merge(left[pe], right[pe], item))
                li += 1
                ri += 1
                next_shared = shared.pop() if shared else None
                continue
            if pe in right and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lpes):
            pe = lpes[li]
            if pe not in right:
                out.append(live[li])
                li += 1
                continue
            if pe in done:
                li += 1
        if ri < len(rpes):
            pe = rpes[ri]
            done.add(pe)
            out.append(merge(left.get(pe, _MISSING), right[pe], item))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop() if shared else None
    return out


# -- pruning ---------------------------------------------------------------------


def _prune(merged: Object, last: Node, managers: managing.Managed, shape: shapes.Shape) -> Object:
    """Remove what the applier applied last time, does not now, and nobody else owns."""
    everyone: Node | None = None
    for entry in managers.values():
        everyone = fieldsets.union(everyone, entry.fields)
    gone = fieldsets.difference(managing.named(last, shape), managing.named(everyone, shape))
    if gone is None:
        return merged
    pruned = remove(merged, gone, shape)
    return pruned if isinstance(pruned, dict) else {}


def remove(value: Any, node: Node, shape: shapes.Shape) -> Any:
    """`value` without the members of `node` (and everything below them)."""
    if isinstance(value, dict) and not shape.atomic_map:
        out = {}
        for k, v in value.items():
            sub = node.get(fieldsets.field(k))
            if sub is None:
                out[k] = v
            elif fieldsets.is_member(sub):
                continue
            else:
                rest = remove(v, sub, shape.field(k))
                if rest != {} and rest != []:
                    out[k] = rest
        return out
    if isinstance(value, list) and shape.list_type != "atomic":
        pes = managing.elements(value, shape)
        if pes is None:
            return value
        items = []
        for pe, v in zip(pes, value, strict=True):
            sub = node.get(pe)
            if sub is None:
                items.append(v)
            elif not fieldsets.is_member(sub):
                items.append(remove(v, sub, shape.item()))
        return items
    return value


# -- client-side apply ---------------------------------------------------------


def _last_applied_fields(current: Object, shape: shapes.Shape) -> set[str]:
    """Paths of the last-applied annotation whose live value still equals it."""
    annotations = (current.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED)
    if not text:
        return set()
    try:
        last = orjson.loads(text)
        fields = managing.applied(last, shape)
    except (orjson.JSONDecodeError, managing.ShapeError):
        return set()
    if not isinstance(last, dict) or last.get("apiVersion") != current.get("apiVersion"):
        return set()
    cmp = managing.compare(last, current, shape)
    for moved in (cmp.modified, cmp.added, cmp.removed):
        fields = fieldsets.difference(fields, moved)
    return set(fieldsets.paths(fields))


def _with_last_applied(merged: Object, config: Object) -> Object:
    copy = objects.clone(config)
    annotations = (copy.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            copy["metadata"].pop("annotations")
    text = orjson.dumps(copy, option=orjson.OPT_SORT_KEYS).decode() + "\n"
    meta = {**merged["metadata"]}
    meta["annotations"] = {**meta["annotations"], LAST_APPLIED: text}
    return {**merged, "metadata": meta}
