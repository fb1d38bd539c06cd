"""Shared test helpers for controller tests (imported as `helpers`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from tests.support import apiservers

from pinnace.api import kinds
from pinnace.kits.kube import errors


async def eventually(cond: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.002)


def ready_status(ip: str) -> dict[str, object]:
    return {
        "phase": "Running",
        "podIP": ip,
        "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}
        ],
    }


async def finish_deletions(kube: apiservers.Kube) -> None:
    """Play the node agent's end of graceful deletion: a bound pod with a deletionTimestamp
    has its containers "stopped" and is deleted for good (grace period 0)."""
    for pod in kube.objects(kinds.PODS):
        meta = pod["metadata"]
        if pod.get("spec", {}).get("nodeName") and meta.get("deletionTimestamp"):
            with contextlib.suppress(errors.NotFound, errors.Conflict):
                await kube.delete(
                    kinds.PODS,
                    meta["name"],
                    namespace=meta["namespace"],
                    grace_period_seconds=0,
                    precondition_uid=meta["uid"],
                )


async def run_pods(kube: apiservers.Kube, *, ready: bool = True) -> list[str]:
    """Play the node agent: every bound pod without a phase beyond Pending becomes Running,
    and bound pods in graceful deletion go away (`finish_deletions`)."""
    await finish_deletions(kube)
    started = []
    for i, pod in enumerate(kube.objects(kinds.PODS)):
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
        await kube.patch(
            kinds.PODS,
            meta["name"],
            {"status": status},
            namespace=meta["namespace"],
            subresource="status",
        )
        started.append(meta["name"])
    return started


@contextlib.asynccontextmanager
async def kubelet(
    kube: apiservers.Kube, *, start: bool = True, each: Callable[[], None] | None = None
) -> AsyncIterator[None]:
    """Play the node agent continuously: `run_pods` (or only `finish_deletions` when not
    `start`), calling `each()` before every pass."""

    async def loop() -> None:
        while True:
            if each is not None:
                each()
            await (run_pods(kube) if start else finish_deletions(kube))
            await asyncio.sleep(0.005)

    task = asyncio.ensure_future(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def real_apiserver(data_dir: Path) -> contextlib.AbstractAsyncContextManager[apiservers.Kube]:
    """`apiservers.serve` without the `ns` namespace (the name earlier tests use)."""
    return apiservers.serve(data_dir, namespaces=())
