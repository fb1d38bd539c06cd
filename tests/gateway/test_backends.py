from __future__ import annotations

from collections import Counter

import pytest

from pinnace.gateway import backends, routes

from . import builders

Endpoint = backends.Endpoint


def resolver(*objs: dict[str, object]) -> backends.Resolver:
    def index(kind: str) -> dict[tuple[str, str], dict[str, object]]:
        return {
            (o["metadata"]["namespace"], o["metadata"]["name"]): o  # type: ignore[index]
            for o in objs
            if o["kind"] == kind
        }

    return backends.Resolver(index("Service"), index("Endpoints"))


WEB = [
    builders.service("web", namespace="team"),
    builders.endpoints("web", ["127.0.1.1"], namespace="team"),
]


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("web", id="short-in-vs-namespace"),
        pytest.param("web.team", id="svc.ns"),
        pytest.param("web.team.svc", id="svc.ns.svc"),
        pytest.param("web.team.svc.cluster.local", id="fqdn"),
    ],
)
def test_host_forms(host: str) -> None:
    backend = resolver(*WEB).resolve(routes.Destination(host, 80), "team")
    assert backend.key == backends.BackendKey("team", "web", 80)
    assert backend.endpoints == (Endpoint("127.0.1.1", 8080),)


@pytest.mark.parametrize(
    ("objs", "dest", "endpoints", "problem"),
    [
        pytest.param(
            WEB, routes.Destination("web.team", 81), (), "has no port 81", id="unknown-port"
        ),
        pytest.param(
            WEB, routes.Destination("nope.team", 80), (), "does not exist", id="no-service"
        ),
        pytest.param(
            WEB,
            routes.Destination("a.b.example.com", 80),
            (),
            "host a.b.example.com is not a Service of this cluster",
            id="external-host",
        ),
        pytest.param(
            WEB,
            routes.Destination("web.team", None),
            (Endpoint("127.0.1.1", 8080),),
            "",
            id="port-omitted-single-port",
        ),
        pytest.param(
            WEB[:1],
            routes.Destination("web.team", 80),
            (),
            "has no ready endpoints",
            id="no-endpoints-object",
        ),
        pytest.param(
            [
                builders.service("web", namespace="team"),
                builders.endpoints("web", [], namespace="team", not_ready=["127.0.1.1"]),
            ],
            routes.Destination("web.team", 80),
            (),
            "has no ready endpoints",
            id="not-ready-only",
        ),
        pytest.param(
            [
                builders.service(
                    "web",
                    namespace="team",
                    ports=[
                        {"name": "http", "port": 80, "targetPort": "web"},
                        {"name": "metrics", "port": 9090, "targetPort": 9090},
                    ],
                ),
                builders.endpoints(
                    "web",
                    ["127.0.1.1", "127.0.1.2"],
                    namespace="team",
                    ports=[
                        {"name": "metrics", "port": 9090},
                        {"name": "http", "port": 8888},
                    ],
                ),
            ],
            routes.Destination("web.team", 80),
            (Endpoint("127.0.1.1", 8888), Endpoint("127.0.1.2", 8888)),
            "",
            id="named-port",
        ),
        pytest.param(
            [
                builders.service("web", namespace="team", ports=[{"port": 80, "targetPort": 8000}]),
                builders.endpoints("web", ["127.0.1.1"], namespace="team", ports=[{"port": 8000}]),
            ],
            routes.Destination("web.team", 80),
            (Endpoint("127.0.1.1", 8000),),
            "",
            id="unnamed-port",
        ),
        pytest.param(
            [
                builders.service(
                    "ext",
                    namespace="team",
                    spec={
                        "type": "ExternalName",
                        "externalName": "localhost",
                        "ports": [{"port": 80, "targetPort": 9000}],
                    },
                )
            ],
            routes.Destination("ext.team", 80),
            (Endpoint("localhost", 9000),),
            "",
            id="external-name",
        ),
    ],
)
def test_resolution(
    objs: list[dict[str, object]],
    dest: routes.Destination,
    endpoints: tuple[Endpoint, ...],
    problem: str,
) -> None:
    backend = resolver(*objs).resolve(dest, "team")
    assert backend.endpoints == endpoints
    assert backend.problem == problem


def test_backends_are_shared_by_key() -> None:
    r = resolver(*WEB)
    assert r.resolve(routes.Destination("web", 80), "team") is r.resolve(
        routes.Destination("web.team.svc", 80), "x"
    )


def test_round_robin_over_endpoints() -> None:
    backend = backends.Backend(
        backends.BackendKey("ns", "s", 80), [Endpoint("a", 1), Endpoint("b", 1), Endpoint("c", 1)]
    )
    assert [backend.pick() for _ in range(6)] == [Endpoint(h, 1) for h in "abcabc"]
    assert backends.Backend(backends.BackendKey("ns", "s", 80), []).pick() is None


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        pytest.param({"a": 90, "b": 10}, {"a": 9, "b": 1}, id="canary-90-10"),
        pytest.param({"a": 50, "b": 50}, {"a": 5, "b": 5}, id="even"),
        pytest.param({"a": 100, "b": 0}, {"a": 10}, id="zero-weight-gets-nothing"),
        pytest.param({"a": 1, "b": 1, "c": 3}, {"a": 2, "b": 2, "c": 6}, id="three-way"),
    ],
)
def test_spread_exact_shares(weights: dict[str, int], expected: dict[str, int]) -> None:
    spread = backends.Spread(list(weights.items()))
    assert Counter(spread.pick() for _ in range(10)) == expected


def test_spread_interleaves() -> None:
    spread = backends.Spread([("a", 50), ("b", 50)])
    assert [spread.pick() for _ in range(4)] in (list("abab"), list("baba"))
    assert backends.Spread([]).pick() is None
