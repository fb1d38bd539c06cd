from __future__ import annotations

import pytest

from pinnace.gateway import binding, routes

from . import builders

OURS = frozenset({"kubeflow/kubeflow-gateway"})


@pytest.mark.parametrize(
    ("gateways", "namespace", "binds"),
    [
        pytest.param(["kubeflow/kubeflow-gateway"], "team-a", True, id="qualified"),
        pytest.param(["kubeflow-gateway"], "kubeflow", True, id="short-same-namespace"),
        pytest.param(["kubeflow-gateway"], "team-a", False, id="short-other-namespace"),
        pytest.param(["kubeflow-gateway.kubeflow.svc.cluster.local"], "team-a", True, id="fqdn"),
        pytest.param(["mesh"], "kubeflow", False, id="mesh-only"),
        pytest.param([], "kubeflow", False, id="none-means-mesh"),
        pytest.param(["mesh", "kubeflow/kubeflow-gateway"], "x", True, id="mesh-and-ours"),
        pytest.param(["istio-system/other"], "kubeflow", False, id="other-gateway"),
    ],
)
def test_virtual_service_binding(gateways: list[str], namespace: str, binds: bool) -> None:
    vs = routes.parse(
        builders.virtual_service(
            "vs", [builders.route_to("a")], namespace=namespace, gateways=gateways
        )
    )
    assert binding.binds(vs, OURS) is binds


def test_match_gateways_override() -> None:
    vs = routes.parse(
        builders.virtual_service(
            "vs",
            [
                builders.route_to(
                    "a",
                    match=[
                        {"uri": {"prefix": "/x"}, "gateways": ["mesh"]},
                        {"uri": {"prefix": "/y"}},
                    ],
                )
            ],
            gateways=["mesh", "kubeflow/kubeflow-gateway"],
        )
    )
    first, second = vs.http[0].matches
    assert not binding.match_binds(first, vs, OURS)
    assert binding.match_binds(second, vs, OURS)


def test_match_level_gateway_binds_mesh_service() -> None:
    vs = routes.parse(
        builders.virtual_service(
            "vs",
            [
                builders.route_to(
                    "a", match=[{"uri": {"prefix": "/"}, "gateways": ["kubeflow/kubeflow-gateway"]}]
                )
            ],
            gateways=[],
        )
    )
    assert binding.binds(vs, OURS)


@pytest.mark.parametrize(
    ("host", "names"),
    [
        pytest.param("*", ("*",), id="any"),
        pytest.param("*.example.com", ("*.example.com",), id="wildcard"),
        pytest.param("Models.Example.com", ("models.example.com",), id="fqdn-lowered"),
        pytest.param(
            "web",
            ("web", "web.team", "web.team.svc", "web.team.svc.cluster.local"),
            id="short-service-name",
        ),
    ],
)
def test_host_names(host: str, names: tuple[str, ...]) -> None:
    assert binding.host_names(host, "team", "cluster.local") == names


@pytest.mark.parametrize(
    ("host", "found"),
    [
        pytest.param("a.example.com", "exact", id="exact-beats-wildcards"),
        pytest.param("b.models.example.com", "long-wildcard", id="longest-wildcard"),
        pytest.param("b.example.com", "short-wildcard", id="wildcard"),
        pytest.param("example.com", "any", id="wildcard-needs-a-label"),
        pytest.param("localhost", "any", id="catch-all"),
    ],
)
def test_host_index(host: str, found: str) -> None:
    index = binding.HostIndex(
        {
            "a.example.com": "exact",
            "*.example.com": "short-wildcard",
            "*.models.example.com": "long-wildcard",
            "*": "any",
        }
    )
    assert index.lookup(host) == found


def test_host_index_without_catch_all() -> None:
    assert binding.HostIndex({"a.example.com": 1}).lookup("b.example.com") is None
