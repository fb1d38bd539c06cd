"""Retention on the real in-process API server and a manual clock.

Only the retention controller runs; the test plays the run controller (a
run's `status`: state, pipelineRoot, finishedAt), the launcher (files under
the run's directory, cache entries) and the node agent (pod phases).
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
from pinnace.kits.kube import errors, objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import caching, retaining, states, stores

CRDS = ("pipelineruns.pipelines.kubeflow.org",)
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class Env:
    kube: apiservers.Kube
    clock: clocks.ManualClock
    root: Path
    managers: list[manager.Manager] = field(default_factory=list)

    @property
    def root_uri(self) -> str:
        return self.root.as_uri()

    async def start(self, **settings: Any) -> None:
        mgr = manager.Manager(self.kube, clock=self.clock)
        retaining.setup(mgr, retaining.Settings(pipeline_root=self.root_uri, **settings))
        await mgr.start()
        self.managers.append(mgr)
        await self.settled()

    async def stop(self) -> None:
        while self.managers:
            await self.managers.pop().stop()

    async def settled(self) -> None:
        (mgr,) = self.managers
        controllers = [c for c in mgr.controllers if isinstance(c, running.Controller)]

        async def caught_up() -> bool:
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
            return all(not len(c.queue) and not c.queue.processing for c in controllers)

        await until(caught_up)

    async def advance(self, seconds: float) -> None:
        await self.settled()
        self.clock.advance(seconds)
        for _ in range(3):  # let the timers that fired queue their keys
            await asyncio.sleep(0)
        await self.settled()

    async def run(self, name: str, root: str | None = None) -> Object:
        body = {
            "apiVersion": "pipelines.kubeflow.org/v1alpha1",
            "kind": "PipelineRun",
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"pipelineSpec": {"root": {}}},
        }
        await self.kube.create(kinds.PIPELINERUNS, body, namespace="ns")
        await self.set_status(name, state="RUNNING", pipelineRoot=root or self.root_uri)
        return await self.get(name)

    async def get(self, name: str) -> Object:
        return await self.kube.get(kinds.PIPELINERUNS, name, namespace="ns")

    async def set_status(self, name: str, **status: Any) -> None:
        await self.kube.patch(
            kinds.PIPELINERUNS, name, {"status": status}, namespace="ns", subresource="status"
        )
        await self.settled()

    async def finish(self, name: str, state: str = "SUCCEEDED") -> None:
        await self.set_status(name, state=state, finishedAt=clocks.rfc3339(self.clock.now()))

    async def pod(self, run: Object, name: str, phase: str) -> None:
        body = {
            "metadata": {
                "name": name,
                "namespace": "ns",
                "ownerReferences": [objects.owner_reference(run)],
                "annotations": {states.ANNOTATION_TASK_ID: "train"},
            },
            "spec": {"containers": [{"name": "main", "image": "python:3.11"}]},
        }
        await self.kube.create(kinds.PODS, body, namespace="ns")
        status: Object = {"phase": phase}
        if phase in ("Succeeded", "Failed"):
            terminated = {"exitCode": 0, "finishedAt": clocks.rfc3339(self.clock.now())}
            status["containerStatuses"] = [{"name": "main", "state": {"terminated": terminated}}]
        await self.kube.patch(
            kinds.PODS, name, {"status": status}, namespace="ns", subresource="status"
        )
        await self.settled()

    async def pods(self) -> list[str]:
        return sorted(
            objects.name_of(p) for p in (await self.kube.list(kinds.PODS, namespace="ns")).items
        )

    async def runs(self) -> list[str]:
        items = (await self.kube.list(kinds.PIPELINERUNS, namespace="ns")).items
        return sorted(objects.name_of(r) for r in items)


async def until(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (value := await probe()):  # noqa: ASYNC110 (polling the API)
            await asyncio.sleep(0.01)
        return value


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    clock = clocks.ManualClock(T0)
    async with apiservers.serve(tmp_path / "api", clock=clock, crd_names=CRDS) as kube:
        running_env = Env(kube, clock, tmp_path / "root")
        try:
            yield running_env
        finally:
            await running_env.stop()


def artifacts_of(env: Env, run: Object) -> Path:
    """Play the launcher: an output and a log under the run's directory."""
    path = env.root / "ns" / objects.name_of(run) / objects.uid_of(run) / "train"
    path.mkdir(parents=True)
    (path / "model").write_text("weights")
    (path / "main.log").write_text("trained\n")
    return path.parent


def cache_entry(env: Env, key: str, uri: str) -> Path:
    stores.write_json(
        caching.entry_uri(env.root_uri, "ns", key), {"artifacts": {"model": [{"uri": uri}]}}
    )
    return env.root / ".cache" / "ns" / f"{key}.json"


async def test_deleting_a_run_deletes_its_artifacts_and_the_cache_entries_into_them(
    env: Env,
) -> None:
    await env.start()
    run = await env.run("train")
    other = await env.run("other")
    assert retaining.FINALIZER in (await env.get("train"))["metadata"]["finalizers"]
    mine, theirs = artifacts_of(env, run), artifacts_of(env, other)
    stale = cache_entry(env, "a" * 64, (mine / "train" / "model").as_uri())
    kept = cache_entry(env, "b" * 64, (theirs / "train" / "model").as_uri())
    await env.finish("train")

    await env.kube.delete(kinds.PIPELINERUNS, "train", namespace="ns")
    await until(lambda: _gone(env, "train"))
    assert not mine.exists() and not stale.exists()
    assert (theirs / "train" / "model").read_text() == "weights" and kept.exists()
    assert await env.runs() == ["other"]


async def test_a_running_run_is_deleted_after_its_pods_stopped(env: Env) -> None:
    await env.start()
    run = await env.run("busy")
    mine = artifacts_of(env, run)
    await env.pod(run, "busy-train-1", "Running")
    await env.kube.delete(kinds.PIPELINERUNS, "busy", namespace="ns")
    await env.settled()
    assert await env.pods() == []  # the task pod was stopped first
    await until(lambda: _gone(env, "busy"))
    assert not mine.exists()


async def test_remote_roots_keep_their_artifacts_unless_asked(env: Env) -> None:
    await env.start()
    await env.run("remote", root="s3://bucket/pipelines")
    assert retaining.FINALIZER not in (
        (await env.get("remote"))["metadata"].get("finalizers") or []
    )
    await env.run("local")
    assert retaining.FINALIZER in (await env.get("local"))["metadata"]["finalizers"]


async def test_artifact_deletion_can_be_turned_off(env: Env) -> None:
    await env.start(delete_artifacts=False)
    run = await env.run("kept")
    mine = artifacts_of(env, run)
    assert not (await env.get("kept"))["metadata"].get("finalizers")
    await env.kube.delete(kinds.PIPELINERUNS, "kept", namespace="ns")
    await until(lambda: _gone(env, "kept"))
    assert (mine / "train" / "model").exists()


async def test_finished_runs_older_than_the_age_limit_are_deleted(env: Env) -> None:
    await env.start(run_max_age=3600.0)
    run = await env.run("old")
    mine = artifacts_of(env, run)
    await env.run("running")
    await env.finish("old", "FAILED")
    await env.advance(3599)
    assert await env.runs() == ["old", "running"]
    await env.advance(1)
    await until(lambda: _gone(env, "old"))
    assert await env.runs() == ["running"]  # a run in progress is never too old
    assert not mine.exists()  # and its artifacts went with it
    await env.advance(7200)
    assert await env.runs() == ["running"]


async def test_finished_task_pods_are_deleted_after_their_ttl(env: Env) -> None:
    await env.start(task_pod_ttl=60.0)
    done, busy = await env.run("done"), await env.run("busy")
    await env.pod(done, "done-a", "Succeeded")
    await env.advance(30)
    await env.pod(done, "done-b", "Failed")
    await env.pod(busy, "busy-a", "Succeeded")  # its run is still going: the engine reads it
    await env.finish("done")
    await env.advance(29)
    assert await env.pods() == ["busy-a", "done-a", "done-b"]
    await env.advance(1)
    assert await env.pods() == ["busy-a", "done-b"]
    await env.advance(30)
    assert await env.pods() == ["busy-a"]
    status = (await env.get("done"))["status"]
    assert status["state"] == "SUCCEEDED"  # the run and its status stay
    await env.advance(3600)
    assert await env.pods() == ["busy-a"]


async def _gone(env: Env, name: str) -> bool:
    try:
        await env.get(name)
    except errors.NotFound:
        return True
    return False


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("90", 90.0, id="bare"),
        pytest.param("90s", 90.0, id="s"),
        pytest.param("15m", 900.0, id="m"),
        pytest.param("12h", 43200.0, id="h"),
        pytest.param("30d", 2592000.0, id="d"),
        pytest.param("never", -1.0, id="never"),
    ],
)
def test_ages_parse(text: str, seconds: float) -> None:
    assert retaining.parse_age(text) == seconds


def test_a_bad_age_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        retaining.parse_age("a week")
