from __future__ import annotations

import pytest

from pinnace.gateway import matching, routes

from . import builders


def matcher(raw: dict[str, object]) -> matching.Matcher:
    vs = routes.parse(builders.virtual_service("vs", [builders.route_to("a", match=[raw])]))
    return matching.Matcher(vs.http[0].matches[0])


def view(
    path: str = "/",
    *,
    method: str = "GET",
    authority: str = "localhost:8080",
    query: str = "",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> matching.RequestView:
    return matching.RequestView(
        method=method, path=path, authority=authority, query_string=query, raw_headers=headers
    )


CASES = [
    pytest.param({"uri": {"exact": "/a"}}, view("/a"), True, id="exact"),
    pytest.param({"uri": {"exact": "/a"}}, view("/a/"), False, id="exact-trailing-slash"),
    pytest.param({"uri": {"prefix": "/notebook/"}}, view("/notebook/ns/nb/"), True, id="prefix"),
    pytest.param({"uri": {"prefix": "/notebook/"}}, view("/notebooks"), False, id="prefix-miss"),
    pytest.param(
        {"uri": {"prefix": "/API/"}, "ignoreUriCase": True},
        view("/api/x"),
        True,
        id="prefix-ignore-case",
    ),
    pytest.param(
        {"uri": {"exact": "/A"}, "ignoreUriCase": True}, view("/a"), True, id="exact-ignore-case"
    ),
    pytest.param({"uri": {"prefix": "/API/"}}, view("/api/x"), False, id="prefix-case-sensitive"),
    pytest.param({"uri": {"regex": "/v[12]/models/.*"}}, view("/v2/models/x"), True, id="regex"),
    pytest.param({"uri": {"regex": "/v[12]"}}, view("/v2/models"), False, id="regex-is-full-match"),
    pytest.param({"method": {"exact": "POST"}}, view(method="POST"), True, id="method"),
    pytest.param({"method": {"exact": "POST"}}, view(), False, id="method-miss"),
    pytest.param(
        {"authority": {"exact": "localhost:8080"}}, view(), True, id="authority-with-port"
    ),
    pytest.param(
        {"authority": {"prefix": "models."}},
        view(authority="models.x"),
        True,
        id="authority-prefix",
    ),
    pytest.param(
        {"headers": {"x-user": {"exact": "ann"}}},
        view(headers=[(b"X-User", b"ann")]),
        True,
        id="header-exact",
    ),
    pytest.param({"headers": {"x-user": {"exact": "ann"}}}, view(), False, id="header-missing"),
    pytest.param(
        {"headers": {"x-user": {}}}, view(headers=[(b"x-user", b"")]), True, id="header-present"
    ),
    pytest.param(
        {"headers": {"x-v": {"regex": "a,b"}}},
        view(headers=[(b"x-v", b"a"), (b"x-v", b"b")]),
        True,
        id="header-repeated-joined",
    ),
    pytest.param(
        {"withoutHeaders": {"x-canary": {}}},
        view(headers=[(b"x-canary", b"1")]),
        False,
        id="without-headers",
    ),
    pytest.param({"withoutHeaders": {"x-canary": {}}}, view(), True, id="without-headers-absent"),
    pytest.param(
        {"queryParams": {"v": {"exact": "2"}}}, view(query="v=2&v=3"), True, id="query-first-value"
    ),
    pytest.param(
        {"queryParams": {"v": {"regex": "[0-9]+"}}}, view(query="v=x"), False, id="query-regex-miss"
    ),
    pytest.param(
        {"uri": {"prefix": "/a"}, "method": {"exact": "GET"}},
        view("/a", method="PUT"),
        False,
        id="all-conditions",
    ),
]


@pytest.mark.parametrize(("raw", "req", "expected"), CASES)
def test_matches(raw: dict[str, object], req: matching.RequestView, expected: bool) -> None:
    assert matcher(raw).matches(req) is expected


@pytest.mark.parametrize(
    ("authority", "host"),
    [
        pytest.param("LocalHost:8080", "localhost", id="port-and-case"),
        pytest.param("example.com", "example.com", id="no-port"),
        pytest.param("[::1]:8080", "[::1]", id="ipv6"),
    ],
)
def test_hostname(authority: str, host: str) -> None:
    assert matching.hostname(authority) == host
