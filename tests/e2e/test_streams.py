"""WebSockets and server-sent events through the gateway to a pod, as notebooks and serving need."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import websockets
from tests.e2e.conftest import Platform, wait_for

SERVER = """
import asyncio, os
from aiohttp import web

async def ws(request):
    sock = web.WebSocketResponse()
    await sock.prepare(request)
    async for message in sock:
        await sock.send_str("echo:" + message.data)
    return sock

async def sse(request):
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for i in range(3):
        await response.write(f"data: tick {i}\\n\\n".encode())
        await asyncio.sleep(0.2)
    return response

async def ok(request):
    return web.Response(text="ok")

app = web.Application()
app.add_routes([web.get("/ws", ws), web.get("/sse", sse), web.get("/", ok)])
web.run_app(app, host=os.environ["POD_IP"], port=8000, print=None)
"""


def _manifests(namespace: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": "streams",
                        "namespace": namespace,
                        "labels": {"app": "streams"},
                    },
                    "spec": {
                        "containers": [
                            {
                                "name": "main",
                                "image": "python:3.11",
                                "command": ["python3", "-c", SERVER],
                                "ports": [{"containerPort": 8000}],
                                "readinessProbe": {
                                    "httpGet": {"path": "/", "port": 8000},
                                    "periodSeconds": 1,
                                },
                            }
                        ]
                    },
                },
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "streams", "namespace": namespace},
                    "spec": {
                        "selector": {"app": "streams"},
                        "ports": [{"port": 80, "targetPort": 8000}],
                    },
                },
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "VirtualService",
                    "metadata": {"name": "streams", "namespace": namespace},
                    "spec": {
                        "hosts": ["*"],
                        "gateways": ["kubeflow/kubeflow-gateway"],
                        "http": [
                            {
                                "match": [{"uri": {"prefix": f"/streams/{namespace}/"}}],
                                "rewrite": {"uri": "/"},
                                "route": [
                                    {"destination": {"host": "streams", "port": {"number": 80}}}
                                ],
                            }
                        ],
                    },
                },
            ],
        }
    )


def test_websocket_and_sse_through_the_gateway(platform: Platform, namespace: str) -> None:
    platform.kubectl("apply", "-f", "-", input=_manifests(namespace))
    base = f"{platform.url}/streams/{namespace}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    wait_for(ready, timeout=60, what="streams route ready")

    async def talk() -> list[str]:
        async with websockets.connect(base.replace("http://", "ws://") + "/ws") as sock:
            replies = []
            for word in ("a", "b"):
                await sock.send(word)
                replies.append(str(await sock.recv()))
            return replies

    assert asyncio.run(talk()) == ["echo:a", "echo:b"]

    with urllib.request.urlopen(base + "/sse", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        first = response.readline()
        first_at = time.monotonic()
        assert first == b"data: tick 0\n"
        rest = response.read().decode()
        last_at = time.monotonic()
    assert "data: tick 2" in rest
    # The ticks are 0.2 s apart: an unbuffered proxy hands over the first one before the rest.
    assert last_at - first_at >= 0.3
