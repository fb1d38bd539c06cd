from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import pytest
import yarl

from . import builders
from .conftest import TOKEN, Running, Upstream

Serve = Callable[..., Awaitable[Running]]


@pytest.fixture(params=["pooled", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Start = Callable[[str], Awaitable[Upstream]]


def vs(*http: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return builders.virtual_service("vs", list(http), **kwargs)


def headers_of(echo: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in echo["headers"]:
        out.setdefault(k, []).append(v)
    return out


async def test_forwards_request_and_headers(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish(
        [
            vs(
                builders.route_to(
                    "a",
                    match=builders.prefix("/app/"),
                    rewrite={"uri": "/"},
                    headers={
                        "request": {"set": {"x-route": "yes"}, "remove": ["x-drop"]},
                        "response": {"set": {"x-served-by": "gateway"}},
                    },
                )
            )
        ],
        {"a": [up]},
    )
    async with gw.session.post(
        yarl.URL(gw.url + "/app/some%20file.txt?x=1&y=%2F", encoded=True),
        data=b"hello",
        headers={
            "Connection": "keep-alive, x-private",
            "x-private": "hop",
            "x-drop": "1",
            "kubeflow-userid": "mallory",
            "x-envoy-original-path": "/forged",
            "x-forwarded-for": "10.0.0.9",
        },
    ) as resp:
        assert resp.status == 200
        assert resp.headers["x-served-by"] == "gateway"
        assert resp.headers["x-upstream"] == "a"
        echo = orjson.loads(await resp.read())
    got = headers_of(echo)
    assert echo["method"] == "POST"
    assert echo["path"] == "/some%20file.txt?x=1&y=%2F"
    assert echo["body"] == "hello"
    assert got["host"] == [gw.url.removeprefix("http://")]
    assert got["x-forwarded-for"] == ["10.0.0.9, 127.0.0.1"]
    assert got["x-forwarded-proto"] == ["http"]
    assert got["x-forwarded-host"] == [gw.url.removeprefix("http://")]
    assert got["x-envoy-original-path"] == ["/app/some%20file.txt"]
    assert got["x-route"] == ["yes"]
    for absent in ("x-private", "x-drop", "kubeflow-userid", "connection"):
        assert absent not in got


async def test_identity_is_forwarded(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [up]})
    _, echo = await gw.get_json(
        "/x", headers={"authorization": f"Bearer {TOKEN}", "kubeflow-userid": "mallory"}
    )
    got = headers_of(echo)
    assert got["kubeflow-userid"] == ["admin"]
    assert got["kubeflow-groups"] == ["system:masters"]


async def test_authority_rewrite(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a", rewrite={"authority": "a.kubeflow"}))], {"a": [up]})
    _, echo = await gw.get_json("/")
    assert headers_of(echo)["host"] == ["a.kubeflow"]


async def test_upload_streams_without_buffering(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [up]})
    chunk = b"x" * 65536
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        digest.update(chunk)
        yield chunk
        # The upstream must see the first chunk before the client sends the rest.
        await asyncio.wait_for(up.gate("upload-started").wait(), 5)
        for _ in range(127):
            digest.update(chunk)
            yield chunk

    async with gw.session.put(gw.url + "/upload", data=body()) as resp:
        result = orjson.loads(await resp.read())
    assert result == {"size": 128 * 65536, "sha256": digest.hexdigest()}


async def test_large_download_streams(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [up]})
    async with gw.session.get(gw.url + "/stream?n=64&size=262144&wait=1") as resp:
        assert resp.status == 200
        assert "content-length" not in resp.headers
        first = await resp.content.readexactly(262144)
        up.gate("first-chunk-seen").set()
        rest = await resp.read()
    assert first == b"A" * 262144
    assert len(first) + len(rest) == 64 * 262144


async def test_server_sent_events_flush_each_event(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a", timeout="1s"))], {"a": [up]})
    async with gw.session.get(gw.url + "/sse") as resp:
        assert resp.headers["content-type"] == "text/event-stream"
        assert await resp.content.readuntil(b"\n\n") == b"data: one\n\n"
        up.gate("sse-next").set()
        assert await resp.content.readuntil(b"\n\n") == b"data: two\n\n"


async def test_client_disconnect_stops_upstream_stream(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [up]})
    async with gw.session.get(gw.url + "/sse?forever=1") as resp:
        await resp.content.readuntil(b"\n\n")
        up.gate("sse-next").set()
        await resp.content.readuntil(b"\n\n")
        resp.close()
    await asyncio.wait_for(up.gate("sse-gone").wait(), 5)


async def test_no_route_is_404_json(serve: Serve) -> None:
    gw = await serve()
    status, body = await gw.get_json("/nowhere")
    assert status == 404
    assert body == {"error": "not found", "message": f"no route for GET {gw.url[7:]}/nowhere"}


async def test_no_ready_endpoint_is_503_naming_route_and_service(serve: Serve) -> None:
    gw = await serve()
    gw.publish([builders.notebook_virtual_service("kubeflow", "nb")], {"nb": []})
    status, body = await gw.get_json("/notebook/kubeflow/nb/lab")
    assert status == 503
    assert body == {
        "error": "no healthy upstream",
        "message": "route kubeflow/notebook-kubeflow-nb/http[0]: "
        "service kubeflow/nb:80 has no ready endpoints",
        "route": "kubeflow/notebook-kubeflow-nb/http[0]",
        "service": "kubeflow/nb:80",
    }


async def test_connect_failure_is_502(serve: Serve, unused_tcp_port: int) -> None:
    gw = await serve()
    gw.publish([vs(builders.route_to("a", retries={"attempts": 0}))], {"a": [unused_tcp_port]})
    status, body = await gw.get_json("/")
    assert status == 502
    assert body["error"] == "upstream connect error"
    assert body["service"] == "kubeflow/a:80"
    assert f"127.0.0.1:{unused_tcp_port}: connect failure" in body["message"]


async def test_connect_failure_retries_next_endpoint(
    serve: Serve, upstreams: Start, unused_tcp_port: int
) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [unused_tcp_port, up]})
    statuses = [(await gw.get_json("/x"))[0] for _ in range(4)]
    assert statuses == [200] * 4
    assert up.hits["/x"] == 4


async def test_timeout_is_504(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a", timeout="0.2s"))], {"a": [up]})
    started = time.monotonic()
    status, body = await gw.get_json("/slow?delay=3")
    assert status == 504
    assert body["error"] == "upstream request timeout"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("retries", "query", "status", "hits"),
    [
        pytest.param({"attempts": 2, "retryOn": "5xx"}, "fail=2", 200, 3, id="5xx-recovers"),
        pytest.param({"attempts": 1, "retryOn": "5xx"}, "fail=2", 503, 2, id="5xx-gives-up"),
        pytest.param({"attempts": 3}, "fail=1", 200, 2, id="istio-default-retries-503"),
        pytest.param(
            {"attempts": 3, "retryOn": "gateway-error"},
            "fail=1&code=500",
            500,
            1,
            id="500-not-gateway-error",
        ),
        pytest.param(
            {"attempts": 3, "retryOn": "connect-failure,500"},
            "fail=1&code=500",
            200,
            2,
            id="bare-status-code",
        ),
        pytest.param(None, "fail=1", 503, 1, id="no-retries-field-no-status-retry"),
    ],
)
async def test_status_retries(
    serve: Serve,
    upstreams: Start,
    retries: dict[str, Any] | None,
    query: str,
    status: int,
    hits: int,
) -> None:
    up = await upstreams("a")
    gw = await serve()
    extra = {"retries": retries} if retries else {}
    gw.publish([vs(builders.route_to("a", **extra))], {"a": [up]})
    async with gw.session.post(gw.url + f"/flaky?{query}", data=b"{}") as resp:
        assert resp.status == status
    assert up.hits["/flaky"] == hits


async def test_streamed_body_is_not_replayed(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve(options={"buffer_limit": 4})
    gw.publish([vs(builders.route_to("a", retries={"attempts": 2, "retryOn": "5xx"}))], {"a": [up]})
    async with gw.session.post(gw.url + "/flaky?fail=1", data=b"0123456789") as resp:
        assert resp.status == 503
    assert up.hits["/flaky"] == 1


async def test_weighted_split_and_round_robin(serve: Serve, upstreams: Start) -> None:
    a1, a2, a3, b = [await upstreams(n) for n in ("a1", "a2", "a3", "b")]
    gw = await serve()
    split = {
        "route": [
            {"destination": {"host": "a", "port": {"number": 80}}, "weight": 75},
            {"destination": {"host": "b", "port": {"number": 80}}, "weight": 25},
        ]
    }
    gw.publish([vs(split)], {"a": [a1, a2, a3], "b": [b]})
    served: Counter[str] = Counter()
    for _ in range(24):
        async with gw.session.get(gw.url + "/") as resp:
            served[resp.headers["x-upstream"]] += 1
    assert served == {"a1": 6, "a2": 6, "a3": 6, "b": 6}


async def test_redirect_and_direct_response(serve: Serve) -> None:
    gw = await serve()
    gw.publish(
        [
            vs(
                {
                    "match": builders.prefix("/old"),
                    "redirect": {"uri": "/new", "redirectCode": 302},
                },
                {"directResponse": {"status": 418, "body": {"string": "teapot"}}},
            )
        ],
        {},
    )
    async with gw.session.get(gw.url + "/old?q=1", allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.headers["location"] == f"{gw.url}/new?q=1"
    async with gw.session.get(gw.url + "/tea") as resp:
        assert (resp.status, await resp.text()) == (418, "teapot")


async def test_head_and_empty_bodies(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [up]})
    async with gw.session.head(gw.url + "/x") as resp:
        assert resp.status == 200
        assert int(resp.headers["content-length"]) > 0
    async with gw.session.delete(gw.url + "/x") as resp:
        assert orjson.loads(await resp.read())["method"] == "DELETE"


async def test_many_concurrent_requests_reuse_connections(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a"))], {"a": [up]})
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> int:
            async with session.post(gw.url + f"/n/{i}", data=str(i)) as resp:
                return int(orjson.loads(await resp.read())["body"])

        assert await asyncio.gather(*(one(i) for i in range(200))) == list(range(200))


async def test_upstream_date_and_server_pass_through_once(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([vs(builders.route_to("a", match=builders.prefix("/x")))], {"a": [up]})
    async with gw.session.get(gw.url + "/x") as resp:
        assert len(resp.headers.getall("date")) == 1
        assert resp.headers.getall("server") == [f"Python/3.11 aiohttp/{aiohttp.__version__}"]
    async with gw.session.get(gw.url + "/no-route-here") as resp:
        assert resp.status == 404
        assert len(resp.headers.getall("date")) == 1
