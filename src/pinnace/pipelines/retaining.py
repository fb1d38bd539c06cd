"""Retention of pipeline runs: artifacts go with their run; old runs and finished task pods go.

A second controller on the PipelineRun informer, beside the run controller
(`pipelineruns`), wired by `pinnace.pipelines.setup`. It never writes a run's
spec or status — only `metadata.finalizers` — and deletes objects, so the two
never disagree about a run. For each run `reconcile`
1. adds the finalizer `pipelines.kubeflow.org/artifacts` when artifacts are
   deleted with runs under the run's pipeline root (`Settings.delete_artifacts`
   for `file://` roots, on by default; `delete_remote_artifacts` for s3:// and
   other remote roots, off by default);
2. when the run is being deleted: deletes its task pods still running, waits
   until none is left (pod events wake it), then removes the run's directory
   `<root>/<namespace>/<run>/<uid>/` (outputs, artifacts, task logs) and the
   cache entries that point into it (a later cache hit must not hand out
   artifacts that are gone), then the finalizer — and the API server finishes
   the delete;
3. once the run is finished: deletes its task pods `task_pod_ttl` seconds
   after each finished (the run's `status.tasks` keeps what the DAG view needs,
   and the launcher has already kept each task's log as an artifact), and the
   run itself `run_max_age` seconds after it finished, when an age limit is set
   (kubeflow/pipelines #11557, #441). Waits are `requeue_after` on the clock.
Task pods of a run still in progress are never deleted here: the engine reads them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pinnace.api import kinds
from pinnace.api.views import pipelineruns as run_views
from pinnace.controllers import finalizers, manager, reconciling, running
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.pipelines import caching, stores
from pinnace.pipelines.states import PodView

log = logging.getLogger(__name__)

FINALIZER = "pipelines.kubeflow.org/artifacts"

_AGE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_age(text: str) -> float:
    """Seconds in `90`, `90s`, `15m`, `12h` or `30d`; `never` is -1 (the `pinnace up` options)."""
    if text.strip() == "never":
        return -1.0
    match = _AGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (e.g. 90s, 15m, 12h, 30d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True, slots=True)
class Settings:
    pipeline_root: str
    """The platform's default pipeline root: the execution cache lives under it."""
    delete_artifacts: bool = True
    """Deleting a run deletes its artifacts when its pipeline root is `file://`."""
    delete_remote_artifacts: bool = False
    """The same for remote roots (s3://): off unless asked, the bucket may be shared."""
    run_max_age: float = 0.0
    """Seconds a finished run is kept before it is deleted; <= 0: until someone deletes it."""
    task_pod_ttl: float = 3600.0
    """Seconds a finished run's task pods are kept after they finished; < 0: kept with the run."""

    def cleans(self, root: str) -> bool:
        """Whether deleting a run under `root` deletes its artifacts."""
        if stores.local_path(root) is not None:
            return self.delete_artifacts
        return self.delete_remote_artifacts


def run_root(run: Object, default: str) -> str:
    """The run's resolved pipeline root (the run controller's `status.pipelineRoot`)."""
    status, spec = run.get("status") or {}, run.get("spec") or {}
    runtime = spec.get("runtimeConfig") or {}
    return str(status.get("pipelineRoot") or runtime.get("pipelineRoot") or default)


def run_uri(root: str, run: Object) -> str:
    """Where everything of one run lives: `<root>/<namespace>/<run>/<uid>` (advancing's layout)."""
    return stores.join(root, objects.namespace_of(run), objects.name_of(run), objects.uid_of(run))


class RetentionController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        runs: informers.Informer,
        pods: informers.Informer,
        settings: Settings,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.runs = runs
        self.pods = pods
        self.settings = settings
        self.clock = clock

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        run = self.runs.get(key)
        if run is None:
            return reconciling.DONE
        root = run_root(run, self.settings.pipeline_root)
        if objects.is_deleting(run):
            return await self.deleting(run, root)
        if self.settings.cleans(root) and not finalizers.has(run, FINALIZER):
            await finalizers.add(self.client, kinds.PIPELINERUNS, run, FINALIZER)
        view = run_views.PipelineRun.parse(run)
        if not view.state.finished:
            return reconciling.DONE
        now = self.clock.now().timestamp()
        finished = clocks.parse_rfc3339(
            str(
                (run.get("status") or {}).get("finishedAt")
                or objects.meta(run)["creationTimestamp"]
            )
        ).timestamp()
        waits: list[float | None] = []
        if self.settings.run_max_age > 0:
            left = finished + self.settings.run_max_age - now
            if left <= 0:
                with contextlib.suppress(errors.NotFound):
                    await self.client.delete(
                        kinds.PIPELINERUNS,
                        objects.name_of(run),
                        namespace=objects.namespace_of(run),
                    )
                log.info(
                    "deleted run %s: finished more than %ss ago", key, self.settings.run_max_age
                )
                return reconciling.DONE
            waits.append(left)
        if self.settings.task_pod_ttl >= 0:
            waits.append(await self.expire_pods(run, finished, now))
        return reconciling.Result.after(*waits)

    async def expire_pods(self, run: Object, finished: float, now: float) -> float | None:
        """Delete the run's finished task pods older than the TTL; the wait for the next one."""
        soonest: float | None = None
        for pod in self.pods.owned_by(objects.uid_of(run)):
            view = PodView.of(pod)
            if view is None or not view.done or view.deleting:
                continue
            done_at = view.finished_at.timestamp() if view.finished_at else finished
            left = done_at + self.settings.task_pod_ttl - now
            if left > 0:
                soonest = left if soonest is None else min(soonest, left)
                continue
            with contextlib.suppress(errors.NotFound):
                await self.client.delete(kinds.PODS, view.name, namespace=objects.namespace_of(run))
        return soonest

    async def deleting(self, run: Object, root: str) -> reconciling.Result:
        if not finalizers.has(run, FINALIZER):
            return reconciling.DONE
        if self.settings.cleans(root):
            # Nothing may still write under the run's directory: stop its pods first.
            left = [v for v in map(PodView.of, self.pods.owned_by(objects.uid_of(run))) if v]
            busy = [v for v in left if not v.done]
            for view in busy:
                if not view.deleting:
                    with contextlib.suppress(errors.NotFound):
                        await self.client.delete(
                            kinds.PODS, view.name, namespace=objects.namespace_of(run)
                        )
            if busy:
                return reconciling.DONE  # their deletion wakes us (owns=[pods])
            self.remove_artifacts(run, root)
        await finalizers.remove(self.client, kinds.PIPELINERUNS, run, FINALIZER)
        return reconciling.DONE

    def remove_artifacts(self, run: Object, root: str) -> None:
        prefix = run_uri(root, run)
        _remove(prefix)
        cache = caching.namespace_uri(self.settings.pipeline_root, objects.namespace_of(run))
        for entry in _listing(cache):
            with contextlib.suppress(FileNotFoundError, OSError, ValueError):
                if prefix + "/" in stores.read_text(entry):
                    _remove(entry)
        log.info("removed the artifacts of run %s under %s", objects.name_of(run), prefix)


def _remove(uri: str) -> None:
    """Delete `uri` and everything under it; absent is fine."""
    path = stores.local_path(uri)
    if path is not None:
        target = Path(path)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
        return
    import fsspec  # remote stores only

    fs, key = fsspec.core.url_to_fs(uri)
    if fs.exists(key):
        fs.rm(key, recursive=True)


def _listing(uri: str) -> list[str]:
    """The URIs of the files directly under the directory `uri` (none if it is absent)."""
    path = stores.local_path(uri)
    if path is not None:
        folder = Path(path)
        return [p.as_uri() for p in sorted(folder.iterdir())] if folder.is_dir() else []
    import fsspec  # remote stores only

    fs, key = fsspec.core.url_to_fs(uri)
    scheme = uri.split("://", 1)[0]
    return [f"{scheme}://{k}" for k in fs.ls(key, detail=False)] if fs.exists(key) else []


def setup(mgr: manager.Manager, settings: Settings) -> running.Controller:
    """Add the retention controller (its PipelineRun and Pod informers are the shared ones)."""
    runs, pods = mgr.informer(kinds.PIPELINERUNS), mgr.informer(kinds.PODS)
    controller = RetentionController(
        mgr.client, runs=runs, pods=pods, settings=settings, clock=mgr.clock
    )
    return mgr.controller("pipelinerun-retention", controller, primary=runs, owns=[pods])
