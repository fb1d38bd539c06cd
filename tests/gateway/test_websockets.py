from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from . import builders
from .conftest import Running, Upstream

Serve = Callable[..., Awaitable[Running]]


@pytest.fixture(params=["pooled", "aiohttp"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Start = Callable[[str], Awaitable[Upstream]]


def notebook(gw: Running, up: Upstream | None) -> None:
    gw.publish([builders.notebook_virtual_service("kubeflow", "nb")], {"nb": [up] if up else []})


async def test_frames_both_ways_with_subprotocol(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish(
        [
            builders.virtual_service(
                "vs", [builders.route_to("a", match=builders.prefix("/nb/"), rewrite={"uri": "/"})]
            )
        ],
        {"a": [up]},
    )
    async with gw.session.ws_connect(
        gw.url + "/nb/ws?session=1",
        protocols=("v2.kernel",),
        headers={"cookie": "_xsrf=abc", "origin": gw.url, "kubeflow-userid": "mallory"},
    ) as ws:
        assert ws.protocol == "v2.kernel"
        await ws.send_str("hi")
        assert await ws.receive_str() == "echo:hi"
        await ws.send_bytes(b"\x01\x02\x03")
        assert await ws.receive_bytes() == b"\x03\x02\x01"
    headers = {k.lower(): v for k, v in up.seen["ws-headers"].items()}
    assert up.seen["ws-path"] == "/ws?session=1"
    assert headers["cookie"] == "_xsrf=abc"
    assert headers["origin"] == gw.url
    assert headers["x-envoy-original-path"] == "/nb/ws"
    assert headers["host"] == gw.url.removeprefix("http://")
    assert "kubeflow-userid" not in headers


async def test_client_close_code_reaches_upstream(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([builders.virtual_service("vs", [builders.route_to("a")])], {"a": [up]})
    async with gw.session.ws_connect(gw.url + "/ws") as ws:
        await ws.send_str("ping")
        await ws.receive_str()
        await ws.close(code=4001)
    await asyncio.wait_for(up.gate("ws-closed").wait(), 5)
    assert up.seen["ws-close"] == 4001


async def test_upstream_close_code_reaches_client(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([builders.virtual_service("vs", [builders.route_to("a")])], {"a": [up]})
    async with gw.session.ws_connect(gw.url + "/ws") as ws:
        await ws.send_str("close:4002")
        msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4002


async def test_upstream_refusal_passes_status(serve: Serve, upstreams: Start) -> None:
    up = await upstreams("a")
    gw = await serve()
    gw.publish([builders.virtual_service("vs", [builders.route_to("a")])], {"a": [up]})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await gw.session.ws_connect(gw.url + "/ws-deny")
    assert err.value.status == 403


@pytest.mark.parametrize(
    ("path", "with_endpoint", "status"),
    [
        pytest.param("/nowhere", True, 404, id="no-route"),
        pytest.param("/notebook/kubeflow/nb/api/kernels/1/channels", False, 503, id="no-endpoint"),
    ],
)
async def test_refusals(
    serve: Serve, upstreams: Start, path: str, with_endpoint: bool, status: int
) -> None:
    up = await upstreams("a")
    gw = await serve()
    notebook(gw, up if with_endpoint else None)
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await gw.session.ws_connect(gw.url + path)
    assert err.value.status == status


async def test_connect_failure_is_502(serve: Serve, unused_tcp_port: int) -> None:
    gw = await serve()
    gw.publish([builders.virtual_service("vs", [builders.route_to("a")])], {"a": [unused_tcp_port]})
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await gw.session.ws_connect(gw.url + "/ws")
    assert err.value.status == 502
