"""The PipelineRun controller: level-triggered reconcile of a run into task pods and status.

Wired by `pinnace.pipelines.setup` on the shared manager: a PipelineRun or
any pod it owns changing enqueues the run's key, and `reconcile` then
1. loads the IR into the graph (`loading`, cached per uid and generation)
   and checks it and the run's arguments (`checks`): a bad run ends FAILED
   with the problems, naming task and field, before any pod exists;
2. reads the run's task pods from the informer cache (`states.PodView`);
3. runs one engine pass (`advancing.advance`), which reads finished tasks'
   outputs from the artifact store;
4. creates the run's workspace claim if the platform spec asks for one, the
   claims CreatePVC tasks make (and deletes DeletePVC's), then the pods the
   pass asks for (deterministic names: AlreadyExists means done), fetches the log tail of newly failed task pods through the
   pods/log API, and writes status only when it changed, carrying the read
   resourceVersion (a stale cache answers 409 and the runner retries).
`spec.cancel` deletes the run's active pods: CANCELING, then CANCELED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pinnace.api import kinds
from pinnace.controllers import conditions, reconciling, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import clients, errors, informers, objects
from pinnace.kits.kube.objects import Object, ObjectKey
from pinnace.pipelines import (
    advancing,
    caching,
    checks,
    launches,
    loading,
    platforms,
    pods,
    specs,
    stores,
)
from pinnace.pipelines import errors as pipeline_errors
from pinnace.pipelines.states import PodView, State

log = logging.getLogger(__name__)

LogReader = Callable[[str, str, int], Awaitable[str]]
"""`tail(namespace, pod, lines)`: the last lines of a task pod's main container log."""


@dataclass(frozen=True, slots=True)
class Settings:
    pipeline_root: str
    """The default pipeline root (a run's `runtimeConfig.pipelineRoot` wins)."""
    max_parallel: int = 0
    """Task pods one run keeps running at once; 0: the machine's cores."""
    log_tail_lines: int = 20
    caching: bool = True
    """False: no task is ever served from the cache, whatever the run or the IR say."""
    envs_dir: str = ""
    """Cached `packages_to_install` environments (empty: tasks may not install packages)."""
    node_name: str = ""
    """Bind task pods to this node when creating them (as a DaemonSet's pods are), saving
    the scheduler's round trip per task; empty: the scheduler places them."""

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Settings:
        envs = str((data_dir / "pipelines" / "envs").resolve())
        return cls(pipeline_root=stores.default_root(data_dir), envs_dir=envs)

    def parallel(self) -> int:
        return self.max_parallel or os.cpu_count() or 2


def client_logs(client: clients.KubeApi) -> LogReader:
    """The pods/log reader over a real client (others answer no log)."""

    async def tail(namespace: str, pod: str, lines: int) -> str:
        if not isinstance(client, clients.Client):
            return ""
        path = kinds.PODS.path(namespace, pod, "log")
        params = {"container": "main", "tailLines": lines}
        return await client.text("GET", path, params=params)

    return tail


def read_outputs(uri: str) -> launches.Outputs | None:
    try:
        return launches.Outputs.from_dict(stores.read_json(uri))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class _Loaded:
    pipeline: specs.Pipeline | None
    arguments: dict[str, Any]
    error: str | None = None


def _load(run: Object) -> _Loaded:
    spec = run.get("spec") or {}
    try:
        pipeline = loading.load(spec.get("pipelineSpec") or {}, spec.get("platformSpec"))
        problems = checks.validate(pipeline)
        if problems:
            raise pipeline_errors.InvalidPipeline(problems)
        runtime = spec.get("runtimeConfig") or {}
        arguments = checks.arguments(pipeline, runtime.get("parameters") or {})
    except pipeline_errors.InvalidPipeline as exc:
        return _Loaded(None, {}, str(exc))
    return _Loaded(pipeline, arguments)


class RunController:
    def __init__(
        self,
        client: clients.KubeApi,
        *,
        runs: informers.Informer,
        pods: informers.Informer,
        settings: Settings,
        logs: LogReader | None = None,
        clock: clocks.Clock = clocks.SYSTEM,
    ) -> None:
        self.client = client
        self.runs = runs
        self.pods = pods
        self.settings = settings
        self.logs = logs or client_logs(client)
        self.clock = clock
        self._loaded: dict[tuple[str, int], _Loaded] = {}

    def loaded(self, run: Object) -> _Loaded:
        key = (objects.uid_of(run), int(objects.meta(run).get("generation") or 1))
        found = self._loaded.get(key)
        if found is None:
            if len(self._loaded) > 256:
                self._loaded.clear()
            found = self._loaded[key] = _load(run)
        return found

    async def reconcile(self, key: ObjectKey) -> reconciling.Result:
        run = self.runs.get(key)
        if run is None or objects.is_deleting(run):
            return reconciling.DONE
        status = run.get("status") or {}
        state = State(status.get("state") or State.PENDING.value)
        spec = run.get("spec") or {}
        retries = int(spec.get("retries") or 0)
        # KFP's retry: `spec.retries` past the round the status saw resumes a finished run
        retrying = state.terminal and retries > int(status.get("retries") or 0)
        if state.terminal and not retrying:
            return reconciling.DONE
        now = clocks.rfc3339(self.clock.now())
        views = [v for v in (PodView.of(p) for p in self.pods.owned_by(objects.uid_of(run))) if v]
        if spec.get("cancel"):
            return await self.cancel(run, views, now)
        loaded = self.loaded(run)
        root = self.pipeline_root(run, loaded.pipeline)
        if loaded.pipeline is None:
            error = {"code": 3, "message": loaded.error or "invalid pipeline"}
            await self.write(run, self.status(run, State.FAILED, now, root=root, error=error))
            return reconciling.DONE
        observed: dict[str, list[PodView]] = {}
        for view in views:
            observed.setdefault(view.task_id, []).append(view)
        info = advancing.Run(
            name=objects.name_of(run),
            namespace=objects.namespace_of(run),
            uid=objects.uid_of(run),
            pipeline_root=root,
            max_parallel=self.settings.parallel(),
            caching=spec.get("enableCaching") if self.settings.caching else False,
            envs_dir=self.settings.envs_dir,
            retries=retries,
        )
        namespace = objects.namespace_of(run)

        def cached(key: str) -> launches.Outputs | None:
            return read_outputs(caching.entry_uri(self.settings.pipeline_root, namespace, key))

        records = {str(t["taskId"]): t for t in status.get("tasks") or [] if t.get("taskId")}
        if retrying:  # what failed or was canceled runs again; what succeeded stays done
            keep = (State.SUCCEEDED.value, State.SKIPPED.value)
            records = {k: r for k, r in records.items() if r.get("state") in keep}
        plan = advancing.advance(
            loaded.pipeline,
            info,
            loaded.arguments,
            records,
            observed,
            read_outputs,
            self.clock.now(),
            cached,
        )
        for cache_key, outputs in plan.cache_puts.items():
            stores.write_json(
                caching.entry_uri(self.settings.pipeline_root, namespace, cache_key),
                outputs.to_dict(),
            )
        if plan.creates:
            await self.workspace(run, loaded.pipeline)
        await self.claims(run, plan)
        await self.create(run, plan.creates)
        await self.add_log_tails(run, records, plan)
        run_error: dict[str, Any] | None = None
        if plan.state is State.FAILED:
            run_error = self.run_error(plan)
        new = self.status(
            run,
            plan.state,
            now,
            root=root,
            tasks=list(plan.records.values()),
            outputs=plan.outputs if plan.state is State.SUCCEEDED else None,
            error=run_error,
        )
        await self.write(run, new)
        if plan.requeue_after is not None:
            return reconciling.Result(requeue_after=plan.requeue_after)
        return reconciling.DONE

    def pipeline_root(self, run: Object, pipeline: specs.Pipeline | None) -> str:
        runtime = (run.get("spec") or {}).get("runtimeConfig") or {}
        given = runtime.get("pipelineRoot") or (pipeline.default_pipeline_root if pipeline else "")
        return str(given or self.settings.pipeline_root)

    async def workspace(self, run: Object, pipeline: specs.Pipeline) -> None:
        """The run's workspace claim (`dsl.WorkspaceConfig`), owned by the run, before its pods."""
        workspace = platforms.parse(pipeline).workspace
        if workspace is None:
            return
        body = platforms.workspace_manifest(run, workspace)
        with contextlib.suppress(errors.AlreadyExists):
            await self.client.create(
                kinds.PERSISTENTVOLUMECLAIMS, body, namespace=objects.namespace_of(run)
            )

    async def claims(self, run: Object, plan: advancing.Plan) -> None:
        """What CreatePVC/DeletePVC tasks did in this pass, before their status is written."""
        namespace = objects.namespace_of(run)
        for body in plan.claims:
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create(kinds.PERSISTENTVOLUMECLAIMS, body, namespace=namespace)
        for name in plan.claim_deletes:
            with contextlib.suppress(errors.NotFound):
                await self.client.delete(kinds.PERSISTENTVOLUMECLAIMS, name, namespace=namespace)

    async def create(self, run: Object, requests: list[pods.PodRequest]) -> None:
        async def one(req: pods.PodRequest) -> None:
            body = pods.manifest(
                req,
                run,
                service_account=str((run.get("spec") or {}).get("serviceAccountName") or ""),
                node_name=self.settings.node_name,
            )
            with contextlib.suppress(errors.AlreadyExists):
                await self.client.create(kinds.PODS, body, namespace=objects.namespace_of(run))

        await asyncio.gather(*(one(r) for r in requests))

    async def add_log_tails(
        self, run: Object, old: dict[str, advancing.Record], plan: advancing.Plan
    ) -> None:
        """Put the last log lines of each newly failed task pod into its record's error."""
        for task_id, pod in plan.failed_pods.items():
            before = old.get(task_id) or {}
            rec = plan.records[task_id]
            if before.get("state") == State.FAILED.value:
                rec["error"] = before.get("error") or rec.get("error")
                continue
            try:
                tail = await self.logs(objects.namespace_of(run), pod, self.settings.log_tail_lines)
            except (errors.ApiError, errors.TransportError) as exc:
                tail = f"(log unavailable: {exc})"
            err = dict(rec.get("error") or {})
            if tail.strip():
                err["message"] = f"{err.get('message', '')}\n{tail.rstrip()}"
            rec["error"] = err

    def run_error(self, plan: advancing.Plan) -> dict[str, Any]:
        for rec in plan.records.values():
            if rec.get("state") == State.FAILED.value and rec.get("podName"):
                err = rec.get("error") or {}
                return {
                    "code": int(err.get("code") or 1),
                    "message": f"task {rec['name']!r} failed: {err.get('message', '')}",
                }
        return {"code": 1, "message": plan.error or "the run failed"}

    async def cancel(self, run: Object, views: list[PodView], now: str) -> reconciling.Result:
        active = [v for v in views if not v.done]
        for view in active:
            if not view.deleting:
                with contextlib.suppress(errors.NotFound):
                    await self.client.delete(
                        kinds.PODS, view.name, namespace=objects.namespace_of(run)
                    )
        status = run.get("status") or {}
        state = State.CANCELING if active else State.CANCELED
        tasks = []
        for rec in status.get("tasks") or []:
            rec = dict(rec)
            if not State(rec.get("state") or "PENDING").terminal:
                rec["state"] = state.value
                if state is State.CANCELED:
                    rec.setdefault("finishedAt", now)
            tasks.append(rec)
        # A pod created by a pass whose status write the cache does not show yet still
        # belongs in the canceled run's tasks.
        recorded = {str(rec.get("taskId")) for rec in tasks}
        for view in active:
            if view.task_id not in recorded:
                recorded.add(view.task_id)
                tasks.append(
                    {
                        "taskId": view.task_id,
                        "name": view.task_id.rpartition("/")[2],
                        "podName": view.name,
                        "attempts": view.attempt + 1,
                        "state": state.value,
                        **({"finishedAt": now} if state is State.CANCELED else {}),
                    }
                )
        root = str(status.get("pipelineRoot") or self.settings.pipeline_root)
        await self.write(run, self.status(run, state, now, root=root, tasks=tasks))
        return reconciling.DONE

    def status(
        self,
        run: Object,
        state: State,
        now: str,
        *,
        root: str,
        tasks: list[advancing.Record] | None = None,
        outputs: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> Object:
        old = run.get("status") or {}
        history = list(old.get("stateHistory") or [])
        if old.get("state") != state.value:
            entry: Object = {"state": state.value, "updateTime": now}
            if error:
                entry["error"] = error
            history.append(entry)
        new: Object = {
            "state": state.value,
            "startedAt": old.get("startedAt") or now,
            "pipelineRoot": root,
            "stateHistory": history,
        }
        retries = int((run.get("spec") or {}).get("retries") or 0)
        if retries:
            new["retries"] = retries  # the retry round this status has taken up
        if tasks is not None:
            new["tasks"] = tasks
        elif old.get("tasks"):
            new["tasks"] = old["tasks"]
        if state.terminal:
            new["finishedAt"] = old.get("finishedAt") or now
        if outputs is not None:
            new["outputs"] = outputs
        if error is not None:
            new["error"] = error
        reason, value = {
            State.SUCCEEDED: ("Succeeded", conditions.Status.TRUE),
            State.FAILED: ("Failed", conditions.Status.FALSE),
            State.CANCELED: ("Canceled", conditions.Status.FALSE),
            State.SKIPPED: ("Skipped", conditions.Status.FALSE),
        }.get(state, ("Running", conditions.Status.UNKNOWN))
        new["conditions"] = conditions.set_condition(
            old.get("conditions"),
            "Succeeded",
            str(value),
            reason=reason,
            message=(error or {}).get("message", "") if error else f"the run is {state.value}",
            now=now,
            observed_generation=statuses.generation_of(run),
        )
        return new

    async def write(self, run: Object, status: Object) -> None:
        await statuses.write(self.client, kinds.PIPELINERUNS, run, status)
