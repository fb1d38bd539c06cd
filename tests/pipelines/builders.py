"""Small pipelines compiled by the real kfp compiler, and a simulator for engine tests.

`compiled(func)` compiles a `@dsl.pipeline` function to IR (a dict) with kfp's own
compiler; `Simulation` plays the node agent and the launcher for `advancing`: it
turns each pod the engine asks for into a finished `PodView` whose outputs a test
function decides, and loops passes until the run is terminal.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinnace.pipelines import advancing, launches, loading, specs
from pinnace.pipelines.states import PodView, State

BASE = "python:3.11"


def compiled(pipeline_func: Any) -> dict[str, Any]:
    from kfp import compiler

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline_func, str(path))
        spec, _ = loading.documents(path.read_text())
    return spec


Behaviour = Callable[[launches.Launch], tuple[int, dict[str, Any]]]
"""A task's (exit code, output parameters) from its launch."""


def echo_outputs(launch: launches.Launch) -> tuple[int, dict[str, Any]]:
    return 0, {}


@dataclass
class Simulation:
    pipeline: specs.Pipeline
    behaviour: Behaviour = echo_outputs
    arguments: dict[str, Any] = field(default_factory=dict)
    max_parallel: int = 0
    records: dict[str, advancing.Record] = field(default_factory=dict)
    pods: dict[str, list[PodView]] = field(default_factory=dict)
    outputs: dict[str, launches.Outputs] = field(default_factory=dict)
    launched: list[launches.Launch] = field(default_factory=list)
    now: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    plan: advancing.Plan | None = None
    cache: dict[str, launches.Outputs] | None = None
    """None: no cache; a dict: the cache, shared between simulations to test hits."""
    caching: bool | None = None

    @property
    def run(self) -> advancing.Run:
        return advancing.Run(
            "run",
            "ns",
            "uid-1",
            "file:///tmp/root",
            max_parallel=self.max_parallel,
            caching=self.caching,
        )

    def step(self, *, finish: bool = True) -> advancing.Plan:
        """One engine pass; then every pod it asked for runs to its end (if `finish`)."""
        plan = advancing.advance(
            self.pipeline,
            self.run,
            self.arguments,
            self.records,
            self.pods,
            self.outputs.get,
            self.now,
            (lambda key: None) if self.cache is None else self.cache.get,
        )
        if self.cache is not None:
            self.cache.update(plan.cache_puts)
        self.records = plan.records
        self.plan = plan
        for req in plan.creates:
            self.launched.append(req.launch)
            phase, code = "Running", None
            if finish:
                code, params = self.behaviour(req.launch)
                phase = "Succeeded" if code == 0 else "Failed"
                if code == 0:
                    arts = {
                        name: (launches.Artifact(uri=out.uri, name=name, metadata={"n": 1}),)
                        for name, out in req.launch.output_artifacts.items()
                    }
                    self.outputs[req.launch.outputs_uri] = launches.Outputs(params, arts)
            view = PodView(req.name, req.task_id, req.attempt, phase, code, finished_at=self.now)
            self.pods.setdefault(req.task_id, []).append(view)
        return plan

    def finish(self, limit: int = 100) -> advancing.Plan:
        for _ in range(limit):
            plan = self.step()
            if plan.state.terminal and not plan.creates:
                return plan
        raise AssertionError(f"not terminal after {limit} passes: {self.records}")

    def state(self, task_id: str) -> State:
        return State(self.records[task_id]["state"])

    def launches_of(self, task: str) -> list[launches.Launch]:
        return [lc for lc in self.launched if lc.task == task]
