from __future__ import annotations

import pytest

from pinnace.gateway import routes

from . import builders


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("30s", 30.0, id="seconds"),
        pytest.param("1.5s", 1.5, id="fraction"),
        pytest.param("100ms", 0.1, id="millis"),
        pytest.param("1h30m", 5400.0, id="compound"),
        pytest.param("0s", 0.0, id="zero"),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert routes.parse_duration(text, "t") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "s", "3x", "1s ", 5])
def test_bad_durations(text: object) -> None:
    with pytest.raises(routes.RouteError):
        routes.parse_duration(text, "spec.http[0].timeout")


def test_parse_full_route() -> None:
    obj = builders.virtual_service(
        "vs",
        [
            {
                "name": "canary",
                "match": [
                    {
                        "uri": {"prefix": "/Models/"},
                        "ignoreUriCase": True,
                        "headers": {"X-Model": {"exact": "a"}, "x-present": {}},
                        "queryParams": {"v": {"regex": "[0-9]+"}},
                        "method": {"exact": "POST"},
                    }
                ],
                "rewrite": {"uri": "/", "authority": "models.local"},
                "route": [
                    {"destination": {"host": "a", "port": {"number": 80}}, "weight": 90},
                    {
                        "destination": {"host": "b.ns", "port": {"number": 8080}},
                        "weight": 10,
                        "headers": {"response": {"add": {"X-Rev": "b"}}},
                    },
                ],
                "headers": {"request": {"set": {"X-A": "1"}, "remove": ["Cookie"]}},
                "timeout": "2s",
                "retries": {"attempts": 3, "perTryTimeout": "500ms", "retryOn": "5xx,reset"},
            }
        ],
    )
    vs = routes.parse(obj)
    (route,) = vs.http
    (match,) = route.matches
    assert route.name == "canary"
    assert match.uri == routes.StringMatch(routes.MatchKind.PREFIX, "/Models/", True)
    assert match.headers == (
        ("x-model", routes.StringMatch(routes.MatchKind.EXACT, "a")),
        ("x-present", None),
    )
    assert [d.weight for d in route.destinations] == [90, 10]
    assert route.destinations[1].headers.response.add == (("x-rev", "b"),)
    assert route.headers.request == routes.HeaderOps(set=(("x-a", "1"),), remove=("cookie",))
    assert route.timeout == 2.0
    assert route.retries == routes.RetryPolicy(3, 0.5, frozenset({"5xx", "reset"}))
    assert route.rewrite == routes.Rewrite(uri="/", authority="models.local")


def test_defaults() -> None:
    vs = routes.parse(
        builders.virtual_service("vs", [builders.route_to("a", retries={"attempts": 1})])
    )
    (route,) = vs.http
    assert route.name == "http[0]"
    assert route.destinations[0].weight == 100
    assert route.timeout is None
    assert route.retries is not None
    assert route.retries.retry_on == routes.DEFAULT_RETRY_ON


def test_zero_timeout_means_none() -> None:
    vs = routes.parse(builders.virtual_service("vs", [builders.route_to("a", timeout="0s")]))
    assert vs.http[0].timeout is None


@pytest.mark.parametrize(
    ("http", "field"),
    [
        pytest.param([{"match": builders.prefix("/")}], "spec.http[0]", id="no-route"),
        pytest.param(
            [builders.route_to("a", match=[{"uri": {"glob": "/"}}])],
            "spec.http[0].match[0].uri",
            id="bad-kind",
        ),
        pytest.param(
            [builders.route_to("a", match=[{"uri": {"regex": "("}}])],
            "spec.http[0].match[0].uri.regex",
            id="bad-regex",
        ),
        pytest.param(
            [builders.route_to("a", timeout="soon")], "spec.http[0].timeout", id="bad-timeout"
        ),
        pytest.param(
            [{"route": [{"destination": {}}]}],
            "spec.http[0].route[0].destination.host",
            id="no-host",
        ),
        pytest.param(
            [{"route": [{"destination": {"host": "a"}, "weight": -1}]}],
            "spec.http[0].route[0].weight",
            id="bad-weight",
        ),
    ],
)
def test_errors_name_the_field(http: list[dict[str, object]], field: str) -> None:
    with pytest.raises(routes.RouteError) as err:
        routes.parse(builders.virtual_service("vs", http))
    assert err.value.path == field


def test_redirect_and_direct_response() -> None:
    vs = routes.parse(
        builders.virtual_service(
            "vs",
            [
                {
                    "match": builders.prefix("/old"),
                    "redirect": {"uri": "/new", "redirectCode": 302},
                },
                {"directResponse": {"status": 418, "body": {"string": "teapot"}}},
            ],
        )
    )
    assert vs.http[0].redirect == routes.Redirect(uri="/new", code=302)
    assert vs.http[1].direct_response == routes.DirectResponse(418, b"teapot")
