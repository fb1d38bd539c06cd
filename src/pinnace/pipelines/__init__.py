"""Kubeflow Pipelines v2 on the platform: PipelineRuns become task pods (docs/design/pipelines.md).

The kfp SDK is the DSL and compiler; this package loads its IR into a graph
(`loading`, `specs`, `checks`), runs it (`advancing`, the engine, driven by
the `pipelineruns` controller) and executes each task in a pod through the
launcher (`launcher`, `launching`). The composition root calls `setup` to
add the controller to the shared manager. Nothing here imports kfp: only
task processes do, when a lightweight component runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pinnace.controllers import manager, running
    from pinnace.pipelines import pipelineruns
    from pinnace.runtime import forking


def warm_start() -> forking.Settings:
    """What the runtime's fork servers warm for task pods: the launcher and kfp's executor."""
    from pinnace.pipelines import inlining, pods
    from pinnace.runtime import forking

    launcher = pods.LAUNCHER[2]
    return forking.Settings(
        modules=(launcher,), preload=(launcher, *inlining.PRELOAD), env=inlining.PRELOAD_ENV
    )


def setup(
    mgr: manager.Manager, *, settings: pipelineruns.Settings | None = None, workers: int = 2
) -> running.Controller:
    """Add the PipelineRun and RecurringRun controllers to `mgr` (imports stay lazy: the launcher needs none)."""
    from pinnace.api import kinds
    from pinnace.pipelines import pipelineruns, recurringruns, stores

    if settings is None:
        import os
        from pathlib import Path

        root = os.environ.get("PINNACE_PIPELINE_ROOT") or stores.default_root(
            Path("~/.pinnace").expanduser()
        )
        settings = pipelineruns.Settings(pipeline_root=root)
    runs, pods = mgr.informer(kinds.PIPELINERUNS), mgr.informer(kinds.PODS)
    rec = pipelineruns.RunController(
        mgr.client, runs=runs, pods=pods, settings=settings, clock=mgr.clock
    )
    recurringruns.setup(mgr)
    return mgr.controller("pipelinerun", rec, primary=runs, owns=[pods], workers=workers)
