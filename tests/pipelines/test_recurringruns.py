"""The RecurringRun controller on the real in-process API server and a manual clock.

Only the RecurringRun controller runs; the test plays the PipelineRun
controller's part where it matters (a run's `status.state`) and moves the
clock, which both the API server (creation times) and the controller read.
Nothing sleeps: before each advance the test waits until the controller is
idle and its caches hold what the API holds, so its timer is set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.controllers import manager, running
from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import recurringruns

CRDS = ("recurringruns.pipelines.kubeflow.org", "pipelineruns.pipelines.kubeflow.org")
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
E0 = int(T0.timestamp())
START = "2026-01-01T00:00:00Z"
TEMPLATE = {
    "pipelineSpec": {"pipelineInfo": {"name": "p"}, "root": {"dag": {"tasks": {}}}},
    "runtimeConfig": {"parameters": {"day": "[[ScheduledTime]]", "n": 3}},
    "experiment": "nightly",
}


@dataclass
class Env:
    kube: apiservers.Kube
    clock: clocks.ManualClock
    managers: list[manager.Manager] = field(default_factory=list)

    async def start(self) -> manager.Manager:
        mgr = manager.Manager(self.kube, clock=self.clock)
        recurringruns.setup(mgr)
        await mgr.start()
        self.managers.append(mgr)
        await self.settled()
        return mgr

    async def stop(self) -> None:
        while self.managers:
            await self.managers.pop().stop()

    async def settled(self) -> None:
        """The controller is idle and its caches hold what the API holds (its timer is set)."""
        (mgr,) = self.managers

        async def caught_up() -> bool:
            controllers = [c for c in mgr.controllers if isinstance(c, running.Controller)]
            for ctl in controllers:
                for inf in ctl.informers:
                    listed = await self.kube.list(inf.resource_type)
                    want = {objects.key_of(o): objects.resource_version_of(o) for o in listed.items}
                    have = {
                        k: objects.resource_version_of(o)
                        for k in inf.cached_keys()
                        if (o := inf.get(k))
                    }
                    if want != have:
                        return False
            # after the caches: an event they just took in has queued its key by now
            return all(not len(c.queue) and not c.queue.processing for c in controllers)

        await until(caught_up)

    async def advance(self, seconds: float) -> None:
        await self.settled()
        self.clock.advance(seconds)
        for _ in range(3):  # let the timers that fired queue their keys
            await asyncio.sleep(0)
        await self.settled()

    async def schedule(self, name: str = "nightly", **spec: Any) -> None:
        body: Object = {
            "apiVersion": "pipelines.kubeflow.org/v1alpha1",
            "kind": "RecurringRun",
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {
                "trigger": {"periodic": {"intervalSeconds": 60}},
                "startTime": START,
                "runTemplate": TEMPLATE,
                **spec,
            },
        }
        await self.kube.create(kinds.RECURRINGRUNS, body, namespace="ns")
        await self.settled()

    async def runs(self) -> list[str]:
        items = (await self.kube.list(kinds.PIPELINERUNS, namespace="ns")).items
        return sorted(objects.name_of(r) for r in items)

    async def status(self, name: str = "nightly") -> Object:
        obj = await self.kube.get(kinds.RECURRINGRUNS, name, namespace="ns")
        return dict(obj.get("status") or {})

    async def finish(self, run: str, state: str = "SUCCEEDED") -> None:
        await self.kube.patch(
            kinds.PIPELINERUNS,
            run,
            {"status": {"state": state}},
            namespace="ns",
            subresource="status",
        )
        await self.settled()


async def until(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (value := await probe()):  # noqa: ASYNC110 (polling the API)
            await asyncio.sleep(0.01)
        return value


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    clock = clocks.ManualClock(T0)
    async with apiservers.serve(tmp_path, clock=clock, crd_names=CRDS) as kube:
        running_env = Env(kube, clock)
        await running_env.start()
        try:
            yield running_env
        finally:
            await running_env.stop()


def slot(n: int) -> str:
    return f"nightly-{E0 + 60 * n}"


async def test_each_slot_becomes_one_owned_run_named_by_its_time(env: Env) -> None:
    await env.schedule()
    assert await env.runs() == []
    status = await env.status()
    assert status["nextScheduledTime"] == "2026-01-01T00:01:00Z"
    assert status["observedGeneration"] == 1
    (ready,) = status["conditions"]
    assert (ready["type"], ready["status"], ready["reason"]) == ("Ready", "True", "Enabled")

    await env.advance(60)
    assert await env.runs() == [slot(1)]
    run = await env.kube.get(kinds.PIPELINERUNS, slot(1), namespace="ns")
    owner = await env.kube.get(kinds.RECURRINGRUNS, "nightly", namespace="ns")
    (ref,) = run["metadata"]["ownerReferences"]
    assert (ref["kind"], ref["uid"], ref["controller"]) == (
        "RecurringRun",
        objects.uid_of(owner),
        True,
    )
    assert run["metadata"]["labels"][recurringruns.RECURRING_RUN] == "nightly"
    assert run["metadata"]["annotations"][recurringruns.SCHEDULED_TIME] == "2026-01-01T00:01:00Z"
    assert run["spec"]["pipelineSpec"] == TEMPLATE["pipelineSpec"]
    assert run["spec"]["experiment"] == "nightly"
    assert run["spec"]["runtimeConfig"]["parameters"] == {"day": "20260101000100", "n": 3}
    status = await env.status()
    assert status["lastScheduledTime"] == "2026-01-01T00:01:00Z"
    assert status["nextScheduledTime"] == "2026-01-01T00:02:00Z"
    assert status["active"] == [slot(1)]

    await env.finish(slot(1))
    assert (await env.status())["active"] == []
    await env.advance(59)
    assert await env.runs() == [slot(1)]  # not yet: the slot is at 00:02:00
    await env.advance(1)
    assert await env.runs() == [slot(1), slot(2)]


async def test_missed_slots_are_caught_up_one_after_another(env: Env) -> None:
    await env.advance(300)  # five slots pass before the schedule exists (startTime is T0)
    await env.schedule()
    assert await env.runs() == [slot(1)]  # maxConcurrency 1: one at a time
    for n in range(2, 6):
        await env.finish(slot(n - 1))
        assert await env.runs() == [slot(i) for i in range(1, n + 1)]
    await env.finish(slot(5))
    assert len(await env.runs()) == 5  # caught up; the next slot is in the future
    assert (await env.status())["nextScheduledTime"] == "2026-01-01T00:06:00Z"


async def test_catch_up_runs_as_many_as_max_concurrency_allows(env: Env) -> None:
    await env.advance(300)
    await env.schedule(maxConcurrency=3)
    assert await env.runs() == [slot(1), slot(2), slot(3)]
    status = await env.status()
    assert status["conditions"][0]["reason"] == "MaxConcurrency"
    assert status["active"] == [slot(1), slot(2), slot(3)]
    await env.finish(slot(2), "FAILED")  # a failed run is finished too
    assert await env.runs() == [slot(1), slot(2), slot(3), slot(4)]


async def test_no_catchup_runs_only_the_latest_missed_slot(env: Env) -> None:
    await env.advance(330)
    await env.schedule(noCatchup=True)
    assert await env.runs() == [slot(5)]
    await env.finish(slot(5))
    await env.advance(600)  # ten more slots missed
    assert await env.runs() == [slot(5), slot(15)]


async def test_a_cron_trigger_without_catchup(env: Env) -> None:
    await env.advance(3600 * 5 + 30)
    await env.schedule("hourly", trigger={"cron": {"expression": "0 0 * * * *"}}, noCatchup=True)
    assert await env.runs() == [f"hourly-{E0 + 3600 * 5}"]
    assert (await env.status("hourly"))["nextScheduledTime"] == "2026-01-01T06:00:00Z"


async def test_a_disabled_schedule_starts_nothing_until_enabled(env: Env) -> None:
    await env.schedule(mode="DISABLE")
    await env.advance(120)
    assert await env.runs() == []
    assert (await env.status())["conditions"][0]["reason"] == "Disabled"
    await env.kube.patch(
        kinds.RECURRINGRUNS, "nightly", {"spec": {"mode": "ENABLE"}}, namespace="ns"
    )
    await env.settled()
    assert await env.runs() == [slot(1)]  # catch-up is on: the slots missed while disabled run
    status = await env.status()
    assert status["conditions"][0]["reason"] == "MaxConcurrency"
    assert status["observedGeneration"] == 2


async def test_the_window_bounds_the_slots(env: Env) -> None:
    await env.schedule(
        startTime="2026-01-01T00:10:00Z", endTime="2026-01-01T00:12:30Z", maxConcurrency=10
    )
    await env.advance(600)
    assert await env.runs() == []  # before the window: the first slot is 00:11
    await env.advance(3600)
    assert await env.runs() == [slot(11), slot(12)]
    status = await env.status()
    assert "nextScheduledTime" not in status
    assert status["conditions"][0]["reason"] == "Ended"


async def test_a_restart_never_runs_a_slot_twice(env: Env) -> None:
    await env.schedule(maxConcurrency=5)
    await env.advance(120)
    assert await env.runs() == [slot(1), slot(2)]
    await env.stop()
    # The status write of the last pass is lost: the runs it owns still say which slots ran.
    current = await env.kube.get(kinds.RECURRINGRUNS, "nightly", namespace="ns")
    current["status"] = {}
    await env.kube.replace(kinds.RECURRINGRUNS, current, subresource="status")
    await env.start()
    assert await env.runs() == [slot(1), slot(2)]
    assert (await env.status())["lastScheduledTime"] == "2026-01-01T00:02:00Z"
    await env.advance(60)
    assert await env.runs() == [slot(1), slot(2), slot(3)]


async def test_a_name_taken_by_someone_else_is_a_condition(env: Env) -> None:
    await env.kube.create(
        kinds.PIPELINERUNS,
        {"metadata": {"name": slot(1), "namespace": "ns"}, "spec": TEMPLATE},
        namespace="ns",
    )
    await env.schedule()
    await env.advance(60)
    ready = (await env.status())["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("False", "AlreadyOwned")


async def test_an_invalid_cron_expression_is_a_terminal_condition(env: Env) -> None:
    await env.schedule(trigger={"cron": {"expression": "0 99 * * * *"}})
    ready = (await env.status())["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("False", "InvalidTrigger")
    assert ready["message"].startswith("trigger.cron.expression:")
    await env.advance(3600)
    assert await env.runs() == []
