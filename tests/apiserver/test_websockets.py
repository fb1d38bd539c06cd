"""WebSocket upgrades on API paths: watch is served, everything else answers a Status."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import websockets
from tests.apiserver.conftest import Running

CM = "/api/v1/namespaces/default/configmaps"


def _ws(running: Running, path: str) -> str:
    return running.url.replace("http://", "ws://") + path


async def test_watch_over_websocket_sends_one_frame_per_event(running: Running) -> None:
    await running.http.post(CM, json={"metadata": {"name": "before"}, "data": {"a": "1"}})
    async with websockets.connect(_ws(running, f"{CM}?watch=true")) as ws:
        first = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "before")
        await running.http.post(CM, json={"metadata": {"name": "after"}, "data": {"a": "2"}})
        await running.http.delete(f"{CM}/before")
        events = [orjson.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "after"),
        ("DELETED", "before"),
    ]


async def test_watch_over_websocket_ends_with_timeout(running: Running) -> None:
    async with websockets.connect(_ws(running, f"{CM}?watch=true&timeoutSeconds=0.2")) as ws:
        with pytest.raises(websockets.ConnectionClosedOK):
            await asyncio.wait_for(ws.recv(), 5)


@pytest.mark.parametrize(
    ("path", "code", "reason", "says"),
    [
        pytest.param(
            "/api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true",
            405,
            "MethodNotAllowed",
            "exec, attach or port-forward",
            id="exec",
        ),
        pytest.param(
            "/api/v1/namespaces/default/pods/p/attach",
            405,
            "MethodNotAllowed",
            "exec, attach or port-forward",
            id="attach",
        ),
        pytest.param(
            "/api/v1/namespaces/default/pods/p/portforward?ports=80",
            405,
            "MethodNotAllowed",
            "exec, attach or port-forward",
            id="port-forward",
        ),
        pytest.param(f"{CM}/x", 400, "BadRequest", "only watch requests", id="get"),
        pytest.param(
            "/apis/nope.example.com/v1/things?watch=true",
            404,
            "NotFound",
            "could not find",
            id="unknown-kind",
        ),
    ],
)
async def test_other_upgrades_answer_a_status(
    running: Running, path: str, code: int, reason: str, says: str
) -> None:
    with pytest.raises(websockets.InvalidStatus) as caught:
        async with websockets.connect(_ws(running, path)):
            pass
    response = caught.value.response
    status = orjson.loads(response.body or b"{}")
    assert response.status_code == code
    assert (status["kind"], status["reason"], status["code"]) == ("Status", reason, code)
    assert says in status["message"]


async def test_exec_over_http_says_it_is_not_served(running: Running) -> None:
    r = await running.http.post("/api/v1/namespaces/default/pods/p/exec?command=sh")
    assert r.status_code == 405 and "exec, attach or port-forward" in r.json()["message"]
