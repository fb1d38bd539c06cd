"""Sets of field paths in the FieldsV1 form `metadata.managedFields[].fieldsV1` carries.

`managing` (managedFields of every write) and `applying` (server-side apply)
compute with these; nothing here knows about objects or schemas. A set is
the FieldsV1 trie itself, a dict from path elements to child nodes:

- `f:<name>` a field, `k:{"name":"c"}` a list-map item (its keys, sorted,
  compact JSON), `v:"x"` a set item, `i:3` an atomic list's index;
- a child `{}` is a member leaf; a child with children is a member only when
  it holds `"."` (`{".": {}, "f:image": {}}`), as structured-merge-diff writes it.

An empty set is `None` (an empty dict would be a member leaf). Every function
is pure: inputs are never modified, unchanged subtrees are shared, so stored
managedFields can feed them directly. `paths` renders a set as the
`.spec.containers[name="c"].image` strings of a conflict message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

Node = dict[str, Any]
"""One trie node; `{}` is a member leaf."""

SELF = "."


def field(name: str) -> str:
    return "f:" + name


def key(values: dict[str, Any]) -> str:
    """The element of a list-map item: its key fields, sorted by name."""
    return "k:" + orjson.dumps(dict(sorted(values.items()))).decode()


def value(item: Any) -> str:
    """The element of a set item (a scalar)."""
    return "v:" + orjson.dumps(item).decode()


def index(i: int) -> str:
    return "i:" + str(i)


def is_member(node: Node) -> bool:
    return not node or SELF in node


def member(node: Node | None) -> Node:
    """`node` with its own path made a member."""
    if not node or SELF in node:
        return node or {}
    return {SELF: {}, **node}


def _join(is_member_: bool, children: Node) -> Node | None:
    if not children:
        return {} if is_member_ else None
    if is_member_:
        return {SELF: {}, **children}
    return children


def _children(node: Node) -> Iterator[tuple[str, Node]]:
    return ((k, v) for k, v in node.items() if k != SELF)


def union(a: Node | None, b: Node | None) -> Node | None:
    if a is None or a is b:
        return b
    if b is None:
        return a
    if len(b) > len(a):
        a, b = b, a
    out: Node | None = None
    for k, child in b.items():
        if k == SELF:
            continue
        mine = a.get(k)
        merged = child if mine is None else union(mine, child)
        if merged is not mine:
            if out is None:
                out = dict(a)
            out[k] = merged
    if out is None:
        if SELF in a or not (not b or SELF in b):
            return a
        return {SELF: {}, **a} if a else a
    if (not a or SELF in a or not b or SELF in b) and SELF not in out:
        return {SELF: {}, **out}
    return out


def difference(a: Node | None, b: Node | None) -> Node | None:
    """Members of `a` that are not members of `b` (a path, not its subtree)."""
    if a is None or b is None:
        return a
    if a is b:
        return None
    out: Node | None = None
    for k, child in b.items():
        if k == SELF:
            continue
        mine = a.get(k)
        if mine is None:
            continue
        rest = difference(mine, child)
        if rest is not mine:
            if out is None:
                out = dict(a)
            if rest is None:
                del out[k]
            else:
                out[k] = rest
    if not b or SELF in b:
        if not a:
            return None
        if SELF in a:
            if out is None:
                out = dict(a)
            del out[SELF]
    if out is None:
        return a
    if not out:
        return None
    if len(out) == 1 and SELF in out:
        return {}
    return out


def intersection(a: Node | None, b: Node | None) -> Node | None:
    if a is None or b is None:
        return None
    if a is b:
        return a
    children: Node = {}
    for k, child in _children(a):
        other = b.get(k)
        if other is not None:
            both = intersection(child, other)
            if both is not None:
                children[k] = both
    return _join(is_member(a) and is_member(b), children)


def without_subtrees(a: Node | None, b: Node | None) -> Node | None:
    """`a` less every member of `b` together with everything below it (kube's
    RecursiveDifference: how reset fields such as `status` are left out)."""
    if a is None or b is None:
        return a
    children: Node = {}
    for k, child in _children(a):
        other = b.get(k)
        if other is None:
            children[k] = child
        elif not is_member(other):
            rest = without_subtrees(child, other)
            if rest is not None:
                children[k] = rest
    return _join(is_member(a) and not is_member(b), children)


def only(a: Node | None, top: str) -> Node | None:
    """The part of `a` under the top-level element `top` (the status of a status write)."""
    if a is None or top not in a:
        return None
    return {top: a[top]}


def empty(a: Node | None) -> bool:
    return a is None


def paths(a: Node | None) -> list[str]:
    """Every member of `a`, as kube prints a path (`.spec.ports[port=80,protocol="TCP"]`)."""
    out: list[str] = []
    if a is not None:
        _collect(a, "", out)
    return out


def _collect(node: Node, prefix: str, out: list[str]) -> None:
    if SELF in node:
        out.append(prefix)
    for k, child in _children(node):
        path = prefix + element_string(k)
        if not child:
            out.append(path)
        else:
            _collect(child, path, out)


def element_string(element: str) -> str:
    kind, _, body = element.partition(":")
    if kind == "f":
        return "." + body
    if kind == "i":
        return f"[{body}]"
    if kind == "v":
        return "[=" + _show(orjson.loads(body)) + "]"
    if kind == "k":
        keys = orjson.loads(body)
        return "[" + ",".join(f"{k}={_show(v)}" for k, v in keys.items()) + "]"
    return element


def _show(item: Any) -> str:
    if isinstance(item, str):
        return orjson.dumps(item).decode()
    if isinstance(item, bool):
        return "true" if item else "false"
    if item is None:
        return "null"
    if isinstance(item, (int, float)):
        return str(item)
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()


def valid(node: Any) -> bool:
    """Whether `node` is a well-formed FieldsV1 trie (managedFields sent by a client)."""
    if not isinstance(node, dict):
        return False
    for k, child in node.items():
        if not isinstance(k, str):
            return False
        if k == SELF:
            if child != {}:
                return False
            continue
        if k[:2] not in ("f:", "k:", "v:", "i:") or not valid(child):
            return False
    return True
