"""Request matching: the compiled form of Istio's `http[].match[]` conditions.

`pinnace.gateway.tables` compiles each `routes.RequestMatch` once, when it
builds a table, into a `Matcher` (a list of small predicates); the proxy then
calls `Matcher.matches(view)` for each candidate route on the hot path. A
`RequestView` exposes what conditions read (method, scheme, authority, raw
path, headers, query) and decodes headers and query only if a condition asks.

Semantics, as Envoy applies Istio's matches: `uri` is matched against the raw
path without the query string; `exact`/`prefix` honour `ignoreUriCase`;
`regex` must match the whole value (RE2 full match, Python `re.fullmatch`);
an empty header/query condition (`{}`) means "present"; `authority` sees the
Host header as sent (port included).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar
from urllib.parse import parse_qsl

from pinnace.gateway import routes

T = TypeVar("T")
Predicate = Callable[[str], object]
"""Truthy when the value meets the condition (a bool or a regex match)."""


class RequestView:
    """The parts of a request that routing reads; header and query maps are built lazily."""

    __slots__ = (
        "_headers",
        "_query",
        "authority",
        "method",
        "path",
        "port",
        "query_string",
        "raw_headers",
        "scheme",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        authority: str = "",
        scheme: str = "http",
        query_string: str = "",
        raw_headers: list[tuple[bytes, bytes]] | None = None,
        port: int | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.authority = authority
        self.scheme = scheme
        self.query_string = query_string
        self.raw_headers = raw_headers or []
        self.port = port
        self._headers: dict[str, str] | None = None
        self._query: dict[str, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Lower-cased names; repeated headers joined with "," (as Envoy matches them)."""
        if self._headers is None:
            out: dict[str, str] = {}
            for k, v in self.raw_headers:
                name, value = k.decode("latin-1").lower(), v.decode("latin-1")
                out[name] = f"{out[name]},{value}" if name in out else value
            self._headers = out
        return self._headers

    @property
    def query(self) -> dict[str, str]:
        """First value of each query parameter."""
        if self._query is None:
            out: dict[str, str] = {}
            for k, v in parse_qsl(self.query_string, keep_blank_values=True):
                out.setdefault(k, v)
            self._query = out
        return self._query


def predicate(match: routes.StringMatch) -> Predicate:
    """A test for one string condition."""
    value = match.value
    if match.kind is routes.MatchKind.REGEX:
        # Istio applies ignoreUriCase to exact and prefix only.
        return re.compile(value).fullmatch
    if match.ignore_case:
        low = value.lower()
        if match.kind is routes.MatchKind.EXACT:
            return lambda s: s.lower() == low
        return lambda s: s[: len(low)].lower() == low
    if match.kind is routes.MatchKind.EXACT:
        return value.__eq__
    return lambda s: s.startswith(value)


def _map_checks(
    conditions: tuple[tuple[str, routes.StringMatch | None], ...],
) -> tuple[tuple[str, Predicate | None], ...]:
    return tuple((name, predicate(m) if m else None) for name, m in conditions)


def _all_hold(checks: tuple[tuple[str, Predicate | None], ...], values: dict[str, str]) -> bool:
    for name, test in checks:
        got = values.get(name)
        if got is None or (test is not None and not test(got)):
            return False
    return True


def _any_holds(checks: tuple[tuple[str, Predicate | None], ...], values: dict[str, str]) -> bool:
    for name, test in checks:
        got = values.get(name)
        if got is not None and (test is None or test(got)):
            return True
    return False


class Matcher:
    """One compiled `RequestMatch`; `kind`/`value` of its uri condition drive the rewrite."""

    __slots__ = (
        "_authority",
        "_headers",
        "_method",
        "_query",
        "_scheme",
        "_uri",
        "_without",
        "literal",
        "port",
        "source",
    )

    def __init__(self, source: routes.RequestMatch) -> None:
        self.source = source
        self._uri = predicate(source.uri) if source.uri else None
        self._method = predicate(source.method) if source.method else None
        self._scheme = predicate(source.scheme) if source.scheme else None
        self._authority = predicate(source.authority) if source.authority else None
        self._headers = _map_checks(source.headers)
        self._without = _map_checks(source.without_headers)
        self._query = _map_checks(source.query_params)
        self.port = source.port
        uri = source.uri
        self.literal: tuple[str, ...] | None = None
        """The whole path segments every matching path starts with (None: not known)."""
        if (
            uri is not None
            and uri.kind is not routes.MatchKind.REGEX
            and not uri.ignore_case
            and uri.value.startswith("/")
        ):
            self.literal = tuple(uri.value.split("/")[1:-1])

    def matches(self, req: RequestView) -> bool:
        if self._uri is not None and not self._uri(req.path):
            return False
        if self._method is not None and not self._method(req.method):
            return False
        if self._authority is not None and not self._authority(req.authority):
            return False
        if self._scheme is not None and not self._scheme(req.scheme):
            return False
        if self.port is not None and req.port != self.port:
            return False
        if self._headers and not _all_hold(self._headers, req.headers):
            return False
        if self._without and _any_holds(self._without, req.headers):
            return False
        return not self._query or _all_hold(self._query, req.query)


class _Node:
    __slots__ = ("children", "items")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.items: list[int] = []


class PathIndex(Generic[T]):
    """Ordered `(Matcher, value)` entries, with the candidates for a path found by segment.

    A long list (more than `SMALL`, e.g. one route per notebook) is indexed by a
    trie over the literal path segments of exact/prefix uri conditions; a lookup
    visits the trie along the request's segments and tries only the entries
    found there plus those it cannot index (regex, ignoreUriCase, no uri),
    still in their original order — so first-match-wins is unchanged.
    """

    SMALL = 16
    __slots__ = ("_entries", "_root", "_wild")

    def __init__(self, entries: Sequence[tuple[Matcher, T]]) -> None:
        self._entries = tuple(entries)
        self._root: _Node | None = None
        self._wild: list[int] = []
        if len(self._entries) <= self.SMALL:
            return
        self._root = _Node()
        for i, (matcher, _) in enumerate(self._entries):
            if matcher.literal is None:
                self._wild.append(i)
                continue
            node = self._root
            for segment in matcher.literal:
                node = node.children.setdefault(segment, _Node())
            node.items.append(i)

    def candidates(self, path: str) -> Sequence[tuple[Matcher, T]]:
        node = self._root
        if node is None:
            return self._entries
        found = self._wild + node.items
        if path.startswith("/"):
            for segment in path.split("/")[1:]:
                child = node.children.get(segment)
                if child is None:
                    break
                node = child
                found.extend(node.items)
        found.sort()
        entries = self._entries
        return [entries[i] for i in found]


CATCH_ALL = Matcher(routes.RequestMatch(uri=routes.StringMatch(routes.MatchKind.PREFIX, "/")))
"""A route without `match` matches everything, as Envoy's prefix "/" (which drives rewrites)."""


def hostname(authority: str) -> str:
    """The Host header without its port, lower-cased (`[::1]:80` -> `[::1]`)."""
    host = authority.lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    colon = host.rfind(":")
    return host[:colon] if colon >= 0 else host
