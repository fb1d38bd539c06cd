"""The work queue: de-duplication, one key at a time, backoff and delayed requeue."""

from __future__ import annotations

import asyncio

from helpers import eventually

from pinnace.controllers import queueing
from pinnace.kits import clocks


async def test_dedup_and_fifo() -> None:
    q: queueing.WorkQueue[str] = queueing.WorkQueue()
    for k in ["a", "b", "a", "c", "b"]:
        q.add(k)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]


async def test_key_added_while_processing_comes_back_after_done() -> None:
    q: queueing.WorkQueue[str] = queueing.WorkQueue()
    q.add("a")
    key = await q.get()
    q.add("a")
    q.add("a")
    assert len(q) == 0  # never handed to a second worker meanwhile
    q.done(key)
    assert len(q) == 1
    assert await q.get() == "a"


async def test_rate_limited_backoff_grows_and_forget_resets() -> None:
    clock = clocks.ManualClock()
    q: queueing.WorkQueue[str] = queueing.WorkQueue(clock=clock, base_delay=1.0, max_delay=4.0)
    assert [q.add_rate_limited("a") for _ in range(4)] == [1.0, 2.0, 4.0, 4.0]
    await asyncio.sleep(0)
    clock.advance(0.5)
    await asyncio.sleep(0)
    assert len(q) == 0
    clock.advance(0.6)
    await eventually(lambda: len(q) == 1)
    q.forget("a")
    assert q.failures("a") == 0
    await q.shutdown()


async def test_add_after_earliest_wins_and_shutdown_wakes_getters() -> None:
    clock = clocks.ManualClock()
    q: queueing.WorkQueue[str] = queueing.WorkQueue(clock=clock)
    q.add_after("a", 10)
    q.add_after("a", 2)
    q.add_after("a", 5)
    await asyncio.sleep(0)
    clock.advance(2)
    await eventually(lambda: len(q) == 1)
    waiter = asyncio.ensure_future(q.get())
    assert await waiter == "a"
    second = asyncio.ensure_future(q.get())
    await asyncio.sleep(0)
    await q.shutdown()
    try:
        await second
        raise AssertionError("get after shutdown returned")
    except queueing.ShutDown:
        pass
