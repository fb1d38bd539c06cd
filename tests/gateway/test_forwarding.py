from __future__ import annotations

import pytest

from pinnace.gateway import forwarding, headering, routes

STRIP = frozenset({b"kubeflow-userid", b"kubeflow-groups"})


def up(headers: list[tuple[bytes, bytes]], **kwargs: object) -> list[tuple[str, str]]:
    options: dict[str, object] = {"client": "10.1.1.1", "scheme": "http", "strip": STRIP}
    options.update(kwargs)
    got = forwarding.upstream_headers(headers, **options)  # type: ignore[arg-type]
    return [(k.decode(), v.decode()) for k, v in got]


def test_edge_headers() -> None:
    got = up([(b"host", b"kf.local:8080"), (b"accept", b"*/*")])
    assert got == [
        ("accept", "*/*"),
        ("host", "kf.local:8080"),
        ("x-forwarded-for", "10.1.1.1"),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", "kf.local:8080"),
    ]


@pytest.mark.parametrize(
    ("incoming", "absent"),
    [
        pytest.param([(b"connection", b"upgrade"), (b"upgrade", b"h2c")], "upgrade", id="upgrade"),
        pytest.param([(b"transfer-encoding", b"chunked")], "transfer-encoding", id="te"),
        pytest.param(
            [(b"connection", b"x-secret"), (b"x-secret", b"1")],
            "x-secret",
            id="named-in-connection",
        ),
        pytest.param([(b"kubeflow-userid", b"root")], "kubeflow-userid", id="forged-identity"),
        pytest.param([(b"kubeflow-groups", b"admins")], "kubeflow-groups", id="forged-groups"),
        pytest.param(
            [(b"x-envoy-original-path", b"/x")], "x-envoy-original-path", id="forged-envoy"
        ),
        pytest.param([(b"keep-alive", b"timeout=5")], "keep-alive", id="keep-alive"),
    ],
)
def test_dropped(incoming: list[tuple[bytes, bytes]], absent: str) -> None:
    assert absent not in dict(up([(b"host", b"h"), *incoming]))


def test_identity_rewrite_and_plan() -> None:
    plan = headering.HeaderPlan([routes.HeaderOps(set=(("x-a", "1"),), remove=("cookie",))])
    got = dict(
        up(
            [
                (b"host", b"h"),
                (b"cookie", b"c"),
                (b"x-forwarded-for", b"1.2.3.4"),
                (b"x-forwarded-host", b"orig"),
            ],
            identity=[(b"kubeflow-userid", b"ann@example.com")],
            plan=plan,
            original_path="/app/x",
            authority=b"svc.ns",
        )
    )
    assert got == {
        "x-forwarded-host": "orig",
        "kubeflow-userid": "ann@example.com",
        "x-a": "1",
        "host": "svc.ns",
        "x-forwarded-for": "1.2.3.4, 10.1.1.1",
        "x-forwarded-proto": "http",
        "x-envoy-original-path": "/app/x",
    }


def test_websocket_handshake_headers_left_to_the_transport() -> None:
    got = dict(
        up(
            [
                (b"host", b"h"),
                (b"sec-websocket-key", b"k"),
                (b"sec-websocket-protocol", b"p"),
                (b"origin", b"o"),
            ],
            websocket=True,
        )
    )
    assert "sec-websocket-key" not in got
    assert "sec-websocket-protocol" not in got
    assert got["origin"] == "o"


def test_downstream_headers() -> None:
    plan = headering.HeaderPlan([routes.HeaderOps(add=(("x-served", "gw"),))])
    got = forwarding.downstream_headers(
        [
            (b"content-type", b"text/plain"),
            (b"connection", b"close, x-hop"),
            (b"x-hop", b"1"),
            (b"transfer-encoding", b"chunked"),
        ],
        plan,
    )
    assert got == [(b"content-type", b"text/plain"), (b"x-served", b"gw")]
