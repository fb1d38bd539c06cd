"""Header plans: Istio's `headers.request|response` set/add/remove, compiled to bytes.

`pinnace.gateway.tables` compiles one `HeaderPlan` per route destination
(the route's operations, then the destination's) and the proxy applies it to
the upstream request and to the downstream response. Headers travel as ASGI
does, a list of (lower-case name, value) byte pairs.
"""

from __future__ import annotations

from collections.abc import Iterable

from pinnace.gateway import routes

RawHeaders = list[tuple[bytes, bytes]]


class HeaderPlan:
    """remove (and the names to set), then append set and add values (Envoy order)."""

    __slots__ = ("_append", "_drop")

    def __init__(self, ops: Iterable[routes.HeaderOps]) -> None:
        drop: set[bytes] = set()
        append: list[tuple[bytes, bytes]] = []
        for op in ops:
            for name in op.remove:
                drop.add(name.encode("latin-1"))
            for name, value in op.set:
                key = name.encode("latin-1")
                drop.add(key)
                append = [(k, v) for k, v in append if k != key]
                append.append((key, value.encode("latin-1")))
            for name, value in op.add:
                append.append((name.encode("latin-1"), value.encode("latin-1")))
        self._drop = frozenset(drop)
        self._append = tuple(append)

    def __bool__(self) -> bool:
        return bool(self._drop or self._append)

    def apply(self, headers: RawHeaders) -> RawHeaders:
        """A new list with the plan applied (the input is left alone)."""
        drop = self._drop
        out = [h for h in headers if h[0] not in drop] if drop else list(headers)
        out.extend(self._append)
        return out


EMPTY = HeaderPlan(())
