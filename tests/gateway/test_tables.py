from __future__ import annotations

from typing import Any

import pytest

from pinnace.gateway import backends, matching, tables

from . import builders

Endpoint = backends.Endpoint


def view(path: str, *, host: str = "localhost:8080", method: str = "GET") -> matching.RequestView:
    return matching.RequestView(method=method, path=path, authority=host)


def world(*vss: dict[str, Any], extra: list[dict[str, Any]] | None = None) -> tables.RoutingTable:
    svcs = [builders.service(n) for n in ("a", "b", "c")]
    eps = [builders.endpoints(n, [f"127.0.0.{i}"]) for i, n in enumerate(("a", "b", "c"), 1)]
    return tables.build(list(vss), svcs + (extra or []), eps)


def target_of(table: tables.RoutingTable, req: matching.RequestView) -> str | None:
    hit = table.lookup(req)
    if hit is None:
        return None
    target = hit.route.spread.pick()
    assert target is not None
    return target.backend.key.service


def test_notebook_route() -> None:
    vs = builders.notebook_virtual_service("team", "nb")
    table = tables.build(
        [vs],
        [
            builders.service(
                "nb", namespace="team", ports=[{"name": "http-nb", "port": 80, "targetPort": 8888}]
            )
        ],
        [
            builders.endpoints(
                "nb", ["127.0.5.1"], namespace="team", ports=[{"name": "http-nb", "port": 8888}]
            )
        ],
    )
    hit = table.lookup(view("/notebook/team/nb/api/kernels"))
    assert hit is not None
    assert hit.path == "/notebook/team/nb/api/kernels"
    assert hit.route.timeout == 300.0
    assert hit.route.label == "team/notebook-team-nb/http[0]"
    (target,) = hit.route.targets
    assert target.backend.pick() == Endpoint("127.0.5.1", 8888)
    assert table.lookup(view("/notebook/team/other/")) is None


def test_first_match_wins_in_creation_order() -> None:
    older = builders.virtual_service(
        "z-old",
        [builders.route_to("a", match=builders.prefix("/x"))],
        created="2026-01-01T00:00:00Z",
    )
    newer = builders.virtual_service(
        "a-new",
        [builders.route_to("b", match=builders.prefix("/x"))],
        created="2026-01-02T00:00:00Z",
    )
    assert target_of(world(newer, older), view("/x/1")) == "a"


def test_same_creation_time_orders_by_name() -> None:
    one = builders.virtual_service("one", [builders.route_to("a")])
    two = builders.virtual_service("two", [builders.route_to("b")])
    assert target_of(world(two, one), view("/")) == "a"


def test_routes_in_written_order() -> None:
    vs = builders.virtual_service(
        "vs",
        [
            builders.route_to("a", match=[{"uri": {"exact": "/x"}}]),
            builders.route_to("b", match=builders.prefix("/x")),
            builders.route_to("c"),
        ],
    )
    table = world(vs)
    assert [target_of(table, view(p)) for p in ("/x", "/x/y", "/other")] == ["a", "b", "c"]


def test_most_specific_host_only() -> None:
    anyhost = builders.virtual_service(
        "any", [builders.route_to("a")], created="2026-01-01T00:00:00Z"
    )
    models = builders.virtual_service(
        "models",
        [builders.route_to("b", match=builders.prefix("/v2/"))],
        hosts=["*.models.example.com"],
        created="2026-01-02T00:00:00Z",
    )
    table = world(anyhost, models)
    assert target_of(table, view("/v2/x", host="iris.models.example.com:8080")) == "b"
    # Envoy picks one virtual host: a miss there is a miss, not a fall-through to "*".
    assert table.lookup(view("/other", host="iris.models.example.com")) is None
    assert target_of(table, view("/v2/x", host="localhost")) == "a"


def test_unbound_and_broken_virtual_services_left_out() -> None:
    mesh = builders.virtual_service("mesh", [builders.route_to("b")], gateways=["mesh"])
    broken = builders.virtual_service("broken", [{"match": builders.prefix("/")}])
    table = world(mesh, broken)
    assert table.lookup(view("/")) is None
    assert [(p.virtual_service, p.message) for p in table.problems] == [
        ("kubeflow/broken", "spec.http[0]: needs route, redirect or directResponse")
    ]


def test_match_narrowed_away_drops_route() -> None:
    vs = builders.virtual_service(
        "vs",
        [
            builders.route_to("a", match=[{"uri": {"prefix": "/"}, "gateways": ["mesh"]}]),
            builders.route_to("b"),
        ],
        gateways=["mesh", "kubeflow/kubeflow-gateway"],
    )
    assert target_of(world(vs), view("/anything")) == "b"


def test_configured_gateway_names() -> None:
    vs = builders.virtual_service(
        "vs", [builders.route_to("a")], gateways=["knative-serving/knative-ingress-gateway"]
    )
    assert tables.build([vs], [], []).lookup(view("/")) is None
    table = tables.build([vs], [], [], gateways=["knative-serving/knative-ingress-gateway"])
    assert table.lookup(view("/")) is not None


@pytest.mark.parametrize(
    ("http", "path", "upstream"),
    [
        pytest.param(
            builders.route_to("a", match=builders.prefix("/pipeline/"), rewrite={"uri": "/"}),
            "/pipeline/apis/v2beta1/runs",
            "/apis/v2beta1/runs",
            id="prefix-strip",
        ),
        pytest.param(
            builders.route_to("a", match=builders.prefix("/serving/ns/iris"), rewrite={"uri": ""}),
            "/serving/ns/iris/v2/models",
            "/v2/models",
            id="prefix-to-empty",
        ),
        pytest.param(
            builders.route_to(
                "a",
                match=[{"uri": {"prefix": "/JUPYTER/"}, "ignoreUriCase": True}],
                rewrite={"uri": "/j/"},
            ),
            "/jupyter/x",
            "/j/x",
            id="prefix-ignore-case",
        ),
        pytest.param(
            builders.route_to(
                "a", match=[{"uri": {"exact": "/login"}}], rewrite={"uri": "/auth/login"}
            ),
            "/login",
            "/auth/login",
            id="exact-whole-path",
        ),
        pytest.param(
            builders.route_to("a", match=[{"uri": {"regex": "/v[12]/.*"}}], rewrite={"uri": "/x"}),
            "/v1/abc",
            "/x",
            id="regex-whole-path",
        ),
        pytest.param(
            builders.route_to("a", rewrite={"uri": "/b/"}),
            "/a",
            "/b/a",
            id="no-match-is-prefix-slash",
        ),
        pytest.param(
            builders.route_to(
                "a",
                uriRegexRewrite={
                    "match": "^/models/([^/]+)/(.*)$",
                    "rewrite": "/v2/models/\\1/\\2",
                },
            ),
            "/models/iris/infer",
            "/v2/models/iris/infer",
            id="regex-rewrite",
        ),
        pytest.param(
            builders.route_to("a", match=builders.prefix("/a/")), "/a/b", "/a/b", id="no-rewrite"
        ),
    ],
)
def test_rewrites(http: dict[str, Any], path: str, upstream: str) -> None:
    hit = world(builders.virtual_service("vs", [http])).lookup(view(path))
    assert hit is not None
    assert (hit.path, hit.rewritten) == (upstream, upstream != path)


def test_authority_rewrite() -> None:
    hit = world(
        builders.virtual_service(
            "vs", [builders.route_to("a", rewrite={"authority": "a.kubeflow"})]
        )
    ).lookup(view("/"))
    assert hit is not None
    assert hit.route.authority == b"a.kubeflow"


def test_weighted_split_and_shared_backends() -> None:
    vs = builders.virtual_service(
        "vs",
        [
            {
                "match": builders.prefix("/v1/"),
                "route": [
                    {"destination": {"host": "a", "port": {"number": 80}}, "weight": 80},
                    {"destination": {"host": "b", "port": {"number": 80}}, "weight": 20},
                ],
            },
            builders.route_to("a.kubeflow.svc.cluster.local"),
        ],
    )
    table = world(vs)
    picks = [target_of(table, view("/v1/x")) for _ in range(10)]
    assert picks.count("a") == 8
    assert picks.count("b") == 2
    first, second = table.routes
    assert first.targets[0].backend is second.targets[0].backend
    assert table.backend(backends.BackendKey("kubeflow", "a", 80)) is first.targets[0].backend


def test_header_plans() -> None:
    vs = builders.virtual_service(
        "vs",
        [
            {
                "headers": {
                    "request": {"set": {"x-a": "route"}, "remove": ["cookie"]},
                    "response": {"add": {"x-r": "1"}},
                },
                "route": [
                    {
                        "destination": {"host": "a", "port": {"number": 80}},
                        "headers": {"request": {"set": {"x-a": "dest"}}},
                    }
                ],
            }
        ],
    )
    hit = world(vs).lookup(view("/"))
    assert hit is not None
    (target,) = hit.route.targets
    got = target.request_headers.apply(
        [(b"cookie", b"c"), (b"x-a", b"client"), (b"accept", b"*/*")]
    )
    assert got == [(b"accept", b"*/*"), (b"x-a", b"dest")]
    assert target.response_headers.apply([(b"x-r", b"0")]) == [(b"x-r", b"0"), (b"x-r", b"1")]


def test_empty_table() -> None:
    assert tables.EMPTY.lookup(view("/")) is None


def many_notebooks(n: int) -> list[dict[str, Any]]:
    return [builders.notebook_virtual_service("team", f"nb{i}") for i in range(n)]


def test_long_tables_keep_first_match_order() -> None:
    regex_first = builders.virtual_service(
        "regex",
        [builders.route_to("a", match=[{"uri": {"regex": "/notebook/team/nb7/.*"}}])],
        created="2025-12-31T00:00:00Z",
    )
    catch_all_last = builders.virtual_service(
        "zz", [builders.route_to("c")], created="2026-02-01T00:00:00Z"
    )
    table = tables.build(
        [*many_notebooks(40), regex_first, catch_all_last],
        [builders.service("a"), builders.service("c")]
        + [builders.service(f"nb{i}", namespace="team") for i in range(40)],
        [],
    )
    labels = {
        path: hit.route.label
        for path in (
            "/notebook/team/nb7/lab",
            "/notebook/team/nb17/lab",
            "/notebook/team/nb1",
            "/other",
        )
        if (hit := table.lookup(view(path))) is not None
    }
    assert labels == {
        "/notebook/team/nb7/lab": "kubeflow/regex/http[0]",
        "/notebook/team/nb17/lab": "team/notebook-team-nb17/http[0]",
        "/notebook/team/nb1": "kubeflow/zz/http[0]",  # prefix /notebook/team/nb1/ needs the slash
        "/other": "kubeflow/zz/http[0]",
    }


def test_parse_cache_follows_resource_versions() -> None:
    first, second = many_notebooks(2)
    first["metadata"]["resourceVersion"] = "1"
    second["metadata"]["resourceVersion"] = "2"
    cache: tables.ParseCache = {}
    tables.build([first, second], [], [], cache=cache)
    assert set(cache) == {("team", "notebook-team-nb0", "1"), ("team", "notebook-team-nb1", "2")}
    parsed = cache["team", "notebook-team-nb0", "1"]
    table = tables.build([first], [], [], cache=cache)
    assert set(cache) == {("team", "notebook-team-nb0", "1")}
    assert cache["team", "notebook-team-nb0", "1"] is parsed
    assert table.routes[0].vs is parsed
