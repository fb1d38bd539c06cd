"""What kube-apiserver always has and does, against a real `pinnace up` through its gateway."""

from __future__ import annotations

import asyncio

import orjson
import websockets
from tests.e2e.conftest import Platform


def test_kubernetes_service_and_endpoints_point_at_the_platform(platform: Platform) -> None:
    svc = platform.kubectl_yaml("get", "service", "kubernetes", "-n", "default")
    assert (svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["port"]) == ("10.96.0.1", 443)
    ep = platform.kubectl_yaml("get", "endpoints", "kubernetes", "-n", "default")
    subset = ep["subsets"][0]
    assert subset["addresses"] == [{"ip": "127.0.0.1"}]
    assert subset["ports"][0]["port"] == platform.port


def test_kubectl_exec_says_it_is_not_served(platform: Platform, namespace: str) -> None:
    platform.kubectl(
        "run",
        "-n",
        namespace,
        "target",
        "--image=python:3.11",
        "--restart=Never",
        "--",
        "python3",
        "-c",
        "import time; time.sleep(60)",
    )
    result = platform.kubectl("exec", "-n", namespace, "target", "--", "true", check=False)
    assert result.returncode != 0
    assert "exec, attach or port-forward" in result.stderr, result.stderr


async def test_watch_over_websocket_through_the_gateway(platform: Platform, namespace: str) -> None:
    url = platform.url.replace("http://", "ws://")
    path = f"/api/v1/namespaces/{namespace}/configmaps?watch=true"
    headers = {"Authorization": f"Bearer {platform.token}"}
    async with websockets.connect(url + path, additional_headers=headers) as ws:
        platform.kubectl("create", "configmap", "-n", namespace, "seen", "--from-literal=a=1")
        event = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "seen")
