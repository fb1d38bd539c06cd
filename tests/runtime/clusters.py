"""Helpers for node-agent tests: the in-process API server with a node agent, pod builders."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import apiservers

from pinnace import runtime
from pinnace.api import kinds
from pinnace.kits.kube.objects import Object
from pinnace.runtime import backoffs

PY = sys.executable
FAST = backoffs.Policy(base=0.1, cap=0.4, reset_after=600)


def pod_spec(name: str, *containers: Object, **spec: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "nodeName": "pinnace",
            "terminationGracePeriodSeconds": 2,
            "containers": list(containers),
            **spec,
        },
    }


def py(name: str, code: str, **extra: Any) -> Object:
    return {"name": name, "image": "python:3.11", "command": [PY, "-c", code], **extra}


class Cluster:
    """The API server (`api`) and a node agent on a temp data dir, started by `start`."""

    def __init__(self, api: apiservers.Kube, data_dir: Path) -> None:
        self.api = api
        self.data_dir = data_dir
        self.node: runtime.Node | None = None

    async def start(self, **options: Any) -> runtime.Node:
        options = {"backoff": FAST, "host_links": False, "memory_interval": 0.05, **options}
        self.node = await runtime.start(self.api, data_dir=self.data_dir, **options)
        return self.node

    async def create(self, pod: Object) -> Object:
        return await self.api.create(kinds.PODS, pod)

    def pod(self, name: str) -> Object | None:
        for obj in self.api.objects(kinds.PODS, "default"):
            if obj["metadata"]["name"] == name:
                return obj
        return None

    async def wait(
        self, name: str, check: Callable[[Object], bool], timeout: float = 8.0
    ) -> Object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            obj = self.pod(name)
            if obj is not None and check(obj):
                return obj
            await asyncio.sleep(0.02)
        raise AssertionError(f"pod {name} never matched; last: {self.pod(name)}")

    async def wait_phase(self, name: str, phase: str, timeout: float = 8.0) -> Object:
        return await self.wait(
            name, lambda p: (p.get("status") or {}).get("phase") == phase, timeout
        )

    async def wait_gone(self, name: str, timeout: float = 8.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pod(name) is None:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"pod {name} still there: {self.pod(name)}")


async def eventually(check: Callable[[], bool], timeout: float = 8.0) -> None:
    """Wait until `check()` holds."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - a condition on plain state, polled
            await asyncio.sleep(0.02)


def status_of(pod: Object, container: str = "main") -> Object:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs["name"] == container:
            return dict(cs)
    return {"state": {}, "lastState": {}, "restartCount": -1}


def condition(pod: Object, kind: str) -> str:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c["type"] == kind:
            return str(c["status"])
    return ""
