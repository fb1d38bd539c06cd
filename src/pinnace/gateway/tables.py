"""The routing table: VirtualServices + Services + Endpoints compiled for lookups.

`build` is pure: `pinnace.gateway.watching` calls it with the informers'
current objects whenever one of them changes, and publishes the result; the
proxy calls `RoutingTable.lookup` once per request. A table never changes
after it is built (only the round-robin counters inside it move), so a
request sees one consistent snapshot even while a newer table is built.

Order, as Istio: the VirtualServices bound to this gateway (see
`pinnace.gateway.binding`) are sorted by creation time, then namespace, then
name; within the virtual host chosen by the Host header, their routes are
tried in that order, each route's matches in written order, and the first
match wins. A route without `match` matches everything.

Rewrites, as Envoy: `rewrite.uri` replaces the matched prefix for a prefix
match and the whole path for an exact or regex match (a route without match
is prefix "/", so `/a` with rewrite `/b/` becomes `/b/a`); `uriRegexRewrite`
substitutes every match of its pattern. The query string is kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from pinnace.gateway import backends, binding, headering, matching, routes
from pinnace.kits.kube import objects

log = logging.getLogger(__name__)


class Target(NamedTuple):
    """A route destination, compiled: where to send and which header plans to apply."""

    backend: backends.Backend
    weight: int
    request_headers: headering.HeaderPlan
    response_headers: headering.HeaderPlan


class Route:
    """One `http[]` route of a bound VirtualService, compiled."""

    __slots__ = (
        "_regex",
        "authority",
        "label",
        "matchers",
        "retries",
        "source",
        "spread",
        "targets",
        "timeout",
        "vs",
    )

    def __init__(
        self, vs: routes.VirtualService, source: routes.HttpRoute, resolver: backends.Resolver
    ) -> None:
        self.vs = vs
        self.source = source
        self.label = f"{vs.namespace}/{vs.name}/{source.name}"
        self.timeout = source.timeout
        self.retries = source.retries
        rewrite = source.rewrite
        self.authority = (
            rewrite.authority.encode("latin-1") if rewrite and rewrite.authority else None
        )
        self._regex = (
            (re.compile(rewrite.uri_regex[0]), rewrite.uri_regex[1])
            if rewrite and rewrite.uri_regex
            else None
        )
        self.targets = [
            Target(
                resolver.resolve(d, vs.namespace),
                d.weight,
                headering.HeaderPlan((source.headers.request, d.headers.request)),
                headering.HeaderPlan((source.headers.response, d.headers.response)),
            )
            for d in source.destinations
        ]
        self.spread = backends.Spread([(t, t.weight) for t in self.targets])
        self.matchers: list[matching.Matcher] = []

    def rewrite_path(self, matcher: matching.Matcher, path: str) -> str | None:
        """The upstream path, or None when the route does not rewrite it."""
        if self._regex is not None:
            pattern, replacement = self._regex
            return pattern.sub(replacement, path)
        rewrite = self.source.rewrite
        if rewrite is None or rewrite.uri is None:
            return None
        uri = matcher.source.uri
        if uri is not None and uri.kind is routes.MatchKind.PREFIX:
            return rewrite.uri + path[len(uri.value) :]
        return rewrite.uri

    def __repr__(self) -> str:
        return f"Route({self.label})"


class Hit(NamedTuple):
    """A request's matched route and its upstream path (raw, without the query string)."""

    route: Route
    path: str
    rewritten: bool


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a VirtualService was left out of the table."""

    virtual_service: str
    message: str


class RoutingTable:
    """An immutable lookup structure; see the module docstring for the order it applies."""

    __slots__ = ("_hosts", "backends", "generation", "problems", "routes")

    def __init__(
        self,
        hosts: dict[str, list[tuple[matching.Matcher, Route]]],
        routes_: list[Route],
        backend_map: dict[backends.BackendKey, backends.Backend],
        problems: list[Problem],
        generation: int = 0,
    ) -> None:
        self._hosts = binding.HostIndex(
            {h: matching.PathIndex(entries) for h, entries in hosts.items()}
        )
        self.routes = tuple(routes_)
        self.backends = backend_map
        self.problems = tuple(problems)
        self.generation = generation

    def lookup(self, req: matching.RequestView) -> Hit | None:
        index = self._hosts.lookup(matching.hostname(req.authority))
        if index is None:
            return None
        for matcher, route in index.candidates(req.path):
            if matcher.matches(req):
                path = route.rewrite_path(matcher, req.path)
                return Hit(route, req.path if path is None else path, path is not None)
        return None

    def backend(self, key: backends.BackendKey) -> backends.Backend | None:
        return self.backends.get(key)


EMPTY = RoutingTable({}, [], {}, [])


def _index(items: Iterable[objects.Object]) -> dict[tuple[str, str], objects.Object]:
    return {(objects.namespace_of(o), objects.name_of(o)): o for o in items}


ParseCache = dict[tuple[str, str, str], "routes.VirtualService | Problem"]
"""Parsed VirtualServices by (namespace, name, resourceVersion), kept by the watcher between
builds so that an Endpoints change does not parse every route again."""


def _parse(obj: objects.Object, cache: ParseCache | None) -> routes.VirtualService | Problem:
    rv = objects.resource_version_of(obj)
    key = (objects.namespace_of(obj), objects.name_of(obj), rv)
    if rv and cache is not None and key in cache:
        return cache[key]
    try:
        result: routes.VirtualService | Problem = routes.parse(obj)
    except (routes.RouteError, TypeError, ValueError, AttributeError) as exc:
        log.warning("virtualservice %s/%s skipped: %s", key[0], key[1], exc)
        result = Problem(f"{key[0]}/{key[1]}", str(exc))
    if rv and cache is not None:
        cache[key] = result
    return result


def build(
    virtual_services: Iterable[objects.Object],
    services: Iterable[objects.Object],
    endpoints: Iterable[objects.Object],
    *,
    gateways: Iterable[str] = ("kubeflow/kubeflow-gateway",),
    cluster_domain: str = "cluster.local",
    generation: int = 0,
    cache: ParseCache | None = None,
) -> RoutingTable:
    """Compile the objects into a table (malformed VirtualServices are skipped, see `problems`).

    With a `cache`, unchanged VirtualServices are not parsed again (and their problems
    logged once); entries of objects no longer given are dropped from it.
    """
    ours = frozenset(gateways)
    problems: list[Problem] = []
    parsed: list[routes.VirtualService] = []
    fresh: ParseCache | None = {} if cache is not None else None
    for obj in virtual_services:
        vs = _parse(obj, cache)
        if fresh is not None:
            fresh[
                objects.namespace_of(obj), objects.name_of(obj), objects.resource_version_of(obj)
            ] = vs
        if isinstance(vs, Problem):
            problems.append(vs)
        elif binding.binds(vs, ours):
            parsed.append(vs)
    if cache is not None and fresh is not None:
        cache.clear()
        cache.update(fresh)
    parsed.sort(key=lambda v: (v.created, v.namespace, v.name))

    resolver = backends.Resolver(_index(services), _index(endpoints), cluster_domain=cluster_domain)
    hosts: dict[str, list[tuple[matching.Matcher, Route]]] = {}
    compiled: list[Route] = []
    for vs in parsed:
        names = [n for h in vs.hosts for n in binding.host_names(h, vs.namespace, cluster_domain)]
        for source in vs.http:
            route = Route(vs, source, resolver)
            if source.matches:
                route.matchers = [
                    matching.Matcher(m) for m in source.matches if binding.match_binds(m, vs, ours)
                ]
                if not route.matchers:
                    continue
            else:
                route.matchers = [matching.CATCH_ALL]
            compiled.append(route)
            for name in dict.fromkeys(names):
                hosts.setdefault(name, []).extend((m, route) for m in route.matchers)
    return RoutingTable(hosts, compiled, dict(resolver.backends), problems, generation)
