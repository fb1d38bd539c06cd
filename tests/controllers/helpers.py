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
