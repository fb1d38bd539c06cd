"""Shared test helpers for controller tests (imported as `helpers`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pinnace.kits.kube import fakes, informers


async def eventually(cond: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.002)


async def caught_up(fake: fakes.FakeKube, *infs: informers.Informer) -> None:
    """Wait until every informer has seen everything written to `fake` so far."""
    fake.bookmark()
    want = str(fake.resource_version)
    await eventually(lambda: all(i.resource_version == want for i in infs))


def ready_status(ip: str) -> dict[str, object]:
    return {
        "phase": "Running",
        "podIP": ip,
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}
        ],
    }


async def run_pods(fake: fakes.FakeKube, *, ready: bool = True) -> list[str]:
    """Play the node agent: every bound pod without a phase beyond Pending becomes Running."""
    from pinnace.api import kinds

    started = []
    for i, pod in enumerate(fake.objects(kinds.PODS)):
        meta = pod["metadata"]
        if not pod.get("spec", {}).get("nodeName") or meta.get("deletionTimestamp"):
            continue
        if pod.get("status", {}).get("phase") == "Running":
            continue
        status = (
            ready_status(f"127.0.0.{10 + i}")
            if ready
            else {"phase": "Running", "podIP": f"127.0.0.{10 + i}"}
        )
        await fake.patch(
            kinds.PODS,
            meta["name"],
            {"status": status},
            namespace=meta["namespace"],
            subresource="status",
        )
        started.append(meta["name"])
    return started
