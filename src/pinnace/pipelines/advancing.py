"""The run engine (Argo's role): one pure pass over a run's DAG, from what is to what to do.

The run controller (`pipelineruns`) calls `advance()` on every reconcile with
the loaded graph, the run's arguments, the task records from its status, the
task pods it observes and a reader for finished tasks' outputs. The pass
walks the root DAG in dependency order — sub-DAGs, conditions and loop
iterations recursively — and returns a `Plan`: the new task records, the
pods to create, when to look again (retry backoff), and the run's state and
outputs. Nothing here does I/O besides `read_outputs`; a record in a
terminal state is never recomputed, so a pass is idempotent and a lost
status write is simply redone.

Semantics follow KFP v2 on Argo: a task starts when its dependencies are
done (ALL_UPSTREAM_TASKS_SUCCEEDED: all succeeded or skipped;
ALL_UPSTREAM_TASKS_COMPLETED, the exit handler and ignore_upstream_failure:
all terminal); after a failure in a DAG no new task of the default strategy
starts there; a false trigger condition skips the task (a skipped task's
outputs are absent, which OneOf selectors rely on); a ParallelFor runs its
component once per item and collects each output into a list (dsl.Collected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.kits import clocks
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import (
    caching,
    checks,
    errors,
    expressions,
    launches,
    placeholders,
    platforms,
    pods,
    specs,
    stores,
)
from pinnace.pipelines.states import PodView, State

Record = dict[str, Any]
OutputsReader = Callable[[str], launches.Outputs | None]
CacheReader = Callable[[str], launches.Outputs | None]
"""`cache(key)`: the outputs an earlier execution with this cache key produced, if any."""


def _no_cache(key: str) -> launches.Outputs | None:
    return None


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    namespace: str
    uid: str
    pipeline_root: str
    max_parallel: int = 0
    """Task pods of this run running at once; 0: unbounded."""
    caching: bool | None = None
    """None: each task's cachingOptions; True/False: every task (`spec.enableCaching`)."""
    envs_dir: str = ""
    """Where tasks' `packages_to_install` environments are cached (`launches.Launch`)."""
    retries: int = 0
    """Run-level retries asked for (`spec.retries`, KFP's `:retry`): each gives every failed
    task a fresh round of its attempts."""

    def last_attempt(self, max_count: int) -> int:
        """The highest attempt number a task with `set_retry(max_count)` may reach."""
        return (self.retries + 1) * (max_count + 1) - 1

    def task_uri(self, task_id: str) -> str:
        return stores.join(self.pipeline_root, self.namespace, self.name, self.uid, task_id)


@dataclass
class Plan:
    records: dict[str, Record]
    creates: list[pods.PodRequest] = field(default_factory=list)
    failed_pods: dict[str, str] = field(default_factory=dict)
    """task id → name of the pod whose failure the record reports (for its log tail)."""
    cache_puts: dict[str, launches.Outputs] = field(default_factory=dict)
    """cache key → outputs of a task that just succeeded, for the cache."""
    claims: list[Object] = field(default_factory=list)
    """PersistentVolumeClaims that CreatePVC tasks made in this pass (created before pods)."""
    claim_deletes: list[str] = field(default_factory=list)
    """Claims that DeletePVC tasks deleted in this pass."""
    requeue_after: float | None = None
    state: State = State.RUNNING
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class _Scope:
    """The values visible inside one DAG execution: its inputs."""

    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class _Done:
    state: State
    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: dict[str, Any] | None = None


def _order(dag: specs.Dag) -> list[specs.Task]:
    """Tasks in dependency order (data producers count as dependencies too)."""
    deps = {name: set(_upstream(task)) & set(dag.tasks) for name, task in dag.tasks.items()}
    out: list[specs.Task] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in sorted(deps[name]):
            visit(dep)
        out.append(dag.tasks[name])

    for name in dag.tasks:
        visit(name)
    return out


def _upstream(task: specs.Task) -> Iterator[str]:
    yield from task.dependencies
    for pb in task.parameters.values():
        if isinstance(pb.source, specs.TaskOutput | specs.FinalStatus):
            yield pb.source.task
    for ab in task.artifacts.values():
        if isinstance(ab.source, specs.TaskOutput):
            yield ab.source.task


def _parent_prefix(task_id: str) -> str:
    """`a/b/c` → `a/b/`; `c` → `` (the prefix `dag()` gives its direct children)."""
    parent, slash, _ = task_id.rpartition("/")
    return parent + slash


class _Pass:
    def __init__(
        self,
        pipeline: specs.Pipeline,
        run: Run,
        records: Mapping[str, Record],
        observed: Mapping[str, list[PodView]],
        read_outputs: OutputsReader,
        now: dt.datetime,
        cache: CacheReader = _no_cache,
    ) -> None:
        self.cache = cache
        self.pipeline = pipeline
        self.run = run
        self.old = records
        self.records: dict[str, Record] = {k: dict(v) for k, v in records.items()}
        self.failed_in = {
            _parent_prefix(str(r["taskId"]))
            for r in records.values()
            if State(r.get("state") or "PENDING") is State.FAILED
        }
        """DAG prefixes with a failed direct child (once per pass: a loop of N iterations
        would otherwise scan every record N times)."""
        self.observed = observed
        self.read_outputs = read_outputs
        self.now = now
        self.stamp = clocks.rfc3339(now)
        self.plan = Plan(self.records)
        self.platform = platforms.parse(pipeline)
        self.running = sum(
            1 for views in observed.values() for v in views if not v.done and not v.deleting
        )
        self.runtime = {
            "pipeline_job_name": run.name,
            "pipeline_job_resource_name": run.name,
            "pipeline_job_uuid": run.uid,
            "pipeline_root": run.pipeline_root,
        }

    # -- records --------------------------------------------------------------------------

    def record(self, task_id: str, task: specs.Task, parent: str | None, **fields: Any) -> Record:
        rec = self.records.get(task_id)
        if rec is None:
            rec = {"taskId": task_id, "name": task.name, "displayName": task.display_name}
            if parent:
                rec["parentTaskId"] = parent
            self.records[task_id] = rec
        state = fields.get("state")
        if state is not None:
            state = State(state)
            fields["state"] = state.value
            if state is not State.PENDING and "startedAt" not in rec:
                rec["startedAt"] = self.stamp
            if state.terminal and "finishedAt" not in rec:
                rec["finishedAt"] = self.stamp
        rec.update({k: v for k, v in fields.items() if v is not None})
        return rec

    def finished(self, task_id: str) -> _Done | None:
        rec = self.old.get(task_id)
        if rec is None or not State(rec.get("state") or "PENDING").terminal:
            return None
        outs = rec.get("outputs") or {}
        return _Done(
            State(rec["state"]),
            dict(outs.get("parameters") or {}),
            {k: list(v) for k, v in (outs.get("artifacts") or {}).items()},
            rec.get("error"),
        )

    # -- inputs ---------------------------------------------------------------------------

    def constant(self, value: Any) -> Any:
        if isinstance(value, str) and "{{$" in value:
            try:
                return placeholders.substitute(value, placeholders.Context({}, {}, self.runtime))
            except placeholders.PlaceholderError:
                return value
        return value

    def inputs(
        self, task: specs.Task, task_id: str, scope: _Scope, done: Mapping[str, _Done]
    ) -> _Scope:
        out = _Scope()
        for name, pb in task.parameters.items():
            src = pb.source
            present, value = True, None
            if isinstance(src, specs.ComponentInput):
                present = src.name in scope.parameters
                value = scope.parameters.get(src.name)
            elif isinstance(src, specs.TaskOutput):
                producer = done.get(src.task)
                present = producer is not None and src.key in producer.parameters
                value = producer.parameters.get(src.key) if producer else None
            elif isinstance(src, specs.Constant):
                value = self.constant(src.value)
            else:
                producer = done.get(src.task)
                state = producer.state if producer else State.CANCELED
                value = {
                    "state": state.value,
                    "pipelineJobResourceName": self.run.name,
                    "pipelineTaskName": src.task,
                    "error": (producer.error if producer else None) or {},
                }
            if not present:
                continue
            if pb.selector is not None:
                value = expressions.select(pb.selector, value)
            out.parameters[name] = value
        for name, ab in task.artifacts.items():
            asrc = ab.source
            if isinstance(asrc, specs.ComponentInput):
                if asrc.name in scope.artifacts:
                    out.artifacts[name] = list(scope.artifacts[asrc.name])
            else:
                producer = done.get(asrc.task)
                if producer is not None and asrc.key in producer.artifacts:
                    out.artifacts[name] = list(producer.artifacts[asrc.key])
        return out

    def typed(self, comp: specs.Component, given: _Scope, task: specs.Task) -> _Scope:
        """`given` restricted to the component's inputs, defaults filled, types checked."""
        out = _Scope(artifacts={k: v for k, v in given.artifacts.items()})
        for name, p in comp.inputs.parameters.items():
            if name not in given.parameters and not p.has_default:
                continue
            value = given.parameters.get(name, p.default)
            try:
                out.parameters[name] = checks.coerce(p.type, value, lenient=True)
            except ValueError as exc:
                raise errors.InvalidPipeline(
                    [errors.Problem(f"inputs.parameters[{name!r}]", str(exc), task.name)]
                ) from exc
        return out

    # -- DAGs -----------------------------------------------------------------------------

    def dag(self, comp: specs.Component, prefix: str, scope: _Scope) -> _Done:
        assert comp.dag is not None
        done: dict[str, _Done] = {}
        waiting = False
        failed = prefix in self.failed_in
        for task in _order(comp.dag):
            task_id = prefix + task.name
            ups = [done.get(u) for u in set(_upstream(task)) if u in comp.dag.tasks]
            if any(u is None for u in ups):
                waiting = True
                continue
            upstream = [u for u in ups if u is not None]
            blocked = failed or any(u.state in (State.FAILED, State.CANCELED) for u in upstream)
            if (
                blocked
                and task.strategy is specs.Strategy.ALL_UPSTREAM_TASKS_SUCCEEDED
                and self.records.get(task_id) is None
            ):
                done[task.name] = _Done(State.CANCELED)  # never runs: the DAG has failed
                continue
            result = self.task(task, task_id, prefix.rstrip("/") or None, scope, done)
            if result is None:
                waiting = True
                continue
            done[task.name] = result
            if result.state is State.FAILED:
                failed = True
        if waiting:
            return _Done(State.RUNNING)
        if any(d.state is State.FAILED for d in done.values()):
            return _Done(State.FAILED, error=self.first_error(done))
        return self.dag_outputs(comp, done)

    def first_error(self, done: Mapping[str, _Done]) -> dict[str, Any]:
        for name, d in done.items():
            if d.state is State.FAILED:
                err = d.error or {}
                return {
                    "code": err.get("code", 1),
                    "message": err.get("message") or f"task {name!r} failed",
                }
        return {"code": 1, "message": "failed"}

    def dag_outputs(self, comp: specs.Component, done: Mapping[str, _Done]) -> _Done:
        assert comp.dag is not None
        out = _Done(State.SUCCEEDED)
        for name, output in comp.dag.parameters.items():
            for sel in output.selectors:
                producer = done.get(sel.task)
                if producer is not None and sel.key in producer.parameters:
                    out.parameters[name] = producer.parameters[sel.key]
                    break
        for name, output in comp.dag.artifacts.items():
            for sel in output.selectors:
                producer = done.get(sel.task)
                if producer is not None and sel.key in producer.artifacts:
                    out.artifacts[name] = list(producer.artifacts[sel.key])
                    break
        return out

    # -- one task -------------------------------------------------------------------------

    def task(
        self,
        task: specs.Task,
        task_id: str,
        parent: str | None,
        scope: _Scope,
        done: Mapping[str, _Done],
    ) -> _Done | None:
        """The task's outcome, or None while it is pending or running."""
        finished = self.finished(task_id)
        if finished is not None:
            return finished
        comp = self.pipeline.components[task.component]
        try:
            given = self.inputs(task, task_id, scope, done)
            if task.condition is not None and not expressions.condition(
                task.condition, given.parameters
            ):
                self.record(task_id, task, parent, state=State.SKIPPED)
                return _Done(State.SKIPPED)
            if task.iterator is not None:
                return self.loop(task, task_id, parent, comp, given)
            inputs = self.typed(comp, given, task)
        except (errors.ExpressionError, errors.InvalidPipeline) as exc:
            error = {"code": 1, "message": f"task {task.name!r}: {exc}"}
            self.record(task_id, task, parent, state=State.FAILED, error=error)
            return _Done(State.FAILED, error=error)
        if comp.dag is not None:
            return self.subdag(task, task_id, parent, comp, inputs)
        try:
            settings = self.pod_settings(task, comp, scope, done)
        except platforms.ResolveError as exc:
            error = {"code": 1, "message": f"task {task.name!r}: {exc}"}
            self.record(task_id, task, parent, state=State.FAILED, error=error)
            return _Done(State.FAILED, error=error)
        return self.execute(task, task_id, parent, comp, inputs, settings)

    def pod_settings(
        self, task: specs.Task, comp: specs.Component, scope: _Scope, done: Mapping[str, _Done]
    ) -> platforms.PodSettings:
        """The kfp-kubernetes settings of the task's pod, names bound in the task's DAG."""

        def bind(ref: platforms.NameRef, where: str) -> str:
            value: Any = None
            if ref.constant is not None:
                value = self.constant(ref.constant)
            elif ref.component_input is not None:
                value = scope.parameters.get(ref.component_input)
            elif ref.producer is not None:
                producer = done.get(ref.producer[0])
                value = producer.parameters.get(ref.producer[1]) if producer else None
            if value in (None, ""):
                raise platforms.ResolveError(f"{where}: the name, from {ref}, has no value")
            return str(value)

        claim = platforms.workspace_claim(self.run.name) if self.platform.workspace else ""
        config = self.platform.executors.get(comp.executor or "")
        return platforms.resolve(config, bind, workspace_claim=claim)

    def subdag(
        self,
        task: specs.Task,
        task_id: str,
        parent: str | None,
        comp: specs.Component,
        inputs: _Scope,
    ) -> _Done | None:
        result = self.dag(comp, task_id + "/", inputs)
        self.record(
            task_id,
            task,
            parent,
            state=result.state,
            inputs={"parameters": inputs.parameters} if inputs.parameters else None,
            outputs=_outputs(result) if result.state.terminal else None,
            error=result.error,
        )
        return result if result.state.terminal else None

    def loop(
        self,
        task: specs.Task,
        task_id: str,
        parent: str | None,
        comp: specs.Component,
        given: _Scope,
    ) -> _Done | None:
        it = task.iterator
        assert it is not None
        if it.raw is not None:
            items: list[Any] = expressions.json_list(it.raw)
        else:
            source = given.artifacts if it.artifact else given.parameters
            value = source.get(it.items_input or "")
            items = expressions.json_list(value) if isinstance(value, str) else list(value or [])
        results: list[_Done] = []
        active = 0
        pending = False
        for index, item in enumerate(items):
            iter_id = f"{task_id}/{index}"
            finished = self.finished(iter_id)
            if finished is not None:
                results.append(finished)
                continue
            if it.parallelism and active >= it.parallelism and iter_id not in self.records:
                pending = True
                continue
            scope = _Scope(dict(given.parameters), dict(given.artifacts))
            if it.artifact:
                scope.artifacts[it.item_input] = [item]
            else:
                scope.parameters[it.item_input] = item
            try:
                inputs = self.typed(comp, scope, task)
            except errors.InvalidPipeline as exc:
                error = {"code": 1, "message": f"task {task.name!r}: {exc}"}
                self.record(task_id, task, parent, state=State.FAILED, error=error)
                return _Done(State.FAILED, error=error)
            result = self.dag(comp, iter_id + "/", inputs)
            rec = self.record(
                iter_id,
                task,
                task_id,
                state=result.state,
                iterationIndex=index,
                outputs=_outputs(result) if result.state.terminal else None,
                error=result.error,
            )
            rec["displayName"] = f"{task.display_name}[{index}]"
            if result.state.terminal:
                results.append(result)
            else:
                active += 1
        if pending or len(results) < len(items):
            self.record(task_id, task, parent, state=State.RUNNING)
            return None
        out = _Done(State.SUCCEEDED)
        if any(r.state is State.FAILED for r in results):
            out = _Done(
                State.FAILED, error=next(r.error for r in results if r.state is State.FAILED)
            )
        else:
            for name in comp.outputs.parameters:
                out.parameters[name] = [r.parameters[name] for r in results if name in r.parameters]
            for name in comp.outputs.artifacts:
                out.artifacts[name] = [a for r in results for a in r.artifacts.get(name, [])]
        self.record(
            task_id,
            task,
            parent,
            state=out.state,
            outputs=_outputs(out) if out.state is State.SUCCEEDED else None,
            error=out.error,
        )
        return out

    def execute(
        self,
        task: specs.Task,
        task_id: str,
        parent: str | None,
        comp: specs.Component,
        inputs: _Scope,
        settings: platforms.PodSettings | None = None,
    ) -> _Done | None:
        executor = self.pipeline.executors[comp.executor or ""]
        if executor.importer is not None:
            return self.imported(task, task_id, parent, executor.importer, inputs)
        assert executor.container is not None
        if executor.container.image in platforms.CLAIM_IMAGES:
            return self.claim(task, task_id, parent, executor.container.image, inputs)
        views = sorted(self.observed.get(task_id, []), key=lambda v: v.attempt)
        latest = views[-1] if views else None
        retry = task.retry or specs.Retry()
        key = self.cache_key(task, comp, executor.container, inputs)
        if latest is None and key is not None:
            hit = self.cache(key)
            if hit is not None:
                result = _Done(
                    State.SUCCEEDED,
                    dict(hit.parameters),
                    {k: [a.to_status() for a in v] for k, v in hit.artifacts.items()},
                )
                self.record(
                    task_id,
                    task,
                    parent,
                    state=State.SUCCEEDED,
                    cached=True,
                    inputs=_inputs(inputs),
                    outputs=_outputs(result),
                )
                return result
        if latest is None or (
            latest.phase == "Failed" and latest.attempt < self.run.last_attempt(retry.max_count)
        ):
            attempt = 0 if latest is None else latest.attempt + 1
            if latest is not None and latest.finished_at is not None:
                wait = retry.delay(attempt) - (self.now - latest.finished_at).total_seconds()
                if wait > 0:
                    self.requeue(wait)
                    self.record(task_id, task, parent, state=State.RUNNING)
                    return None
            if self.run.max_parallel and self.running >= self.run.max_parallel:
                self.record(task_id, task, parent, state=State.PENDING)
                return None
            self.running += 1
            name = pods.pod_name(self.run.name, task_id, attempt)
            self.plan.creates.append(
                pods.PodRequest(
                    task_id=task_id,
                    task=task.name,
                    attempt=attempt,
                    name=name,
                    container=executor.container,
                    launch=self.launch(
                        task,
                        task_id,
                        comp,
                        executor.container,
                        inputs,
                        mounts=settings.mount_paths if settings else (),
                    ),
                    settings=settings or platforms.PodSettings(),
                )
            )
            self.record(
                task_id,
                task,
                parent,
                state=State.RUNNING,
                podName=name,
                attempts=attempt + 1,
                inputs=_inputs(inputs),
            )
            return None
        self.record(task_id, task, parent, podName=latest.name, attempts=latest.attempt + 1)
        if latest.phase == "Succeeded":
            outputs = self.read_outputs(stores.join(self.run.task_uri(task_id), stores.OUTPUTS))
            if outputs is None:
                error = {"code": 1, "message": "the task succeeded but wrote no outputs"}
                self.record(task_id, task, parent, state=State.FAILED, error=error)
                return _Done(State.FAILED, error=error)
            result = _Done(
                State.SUCCEEDED,
                dict(outputs.parameters),
                {k: [a.to_status() for a in v] for k, v in outputs.artifacts.items()},
            )
            self.record(task_id, task, parent, state=State.SUCCEEDED, outputs=_outputs(result))
            if key is not None:
                self.plan.cache_puts[key] = outputs
            return result
        if latest.phase == "Failed":
            code = latest.exit_code if latest.exit_code is not None else 1
            why = latest.reason or "Error"
            error = {"code": code, "message": f"{why}: exit code {code}"}
            self.plan.failed_pods[task_id] = latest.name
            self.record(task_id, task, parent, state=State.FAILED, error=error)
            return _Done(State.FAILED, error=error)
        self.record(task_id, task, parent, state=State.RUNNING)
        return None

    def claim(
        self, task: specs.Task, task_id: str, parent: str | None, image: str, inputs: _Scope
    ) -> _Done:
        """A CreatePVC/DeletePVC task: done in this pass, the claim written by the controller."""
        try:
            action = platforms.claim_action(
                image, inputs.parameters, run=self.run.name, namespace=self.run.namespace
            )
        except platforms.ResolveError as exc:
            error = {"code": 1, "message": f"task {task.name!r}: {exc}"}
            self.record(task_id, task, parent, state=State.FAILED, error=error)
            return _Done(State.FAILED, error=error)
        if action.create is not None:
            self.plan.claims.append(action.create)
            result = _Done(State.SUCCEEDED, {"name": action.name})
        else:
            self.plan.claim_deletes.append(action.name)
            result = _Done(State.SUCCEEDED)
        self.record(
            task_id,
            task,
            parent,
            state=State.SUCCEEDED,
            inputs=_inputs(inputs),
            outputs=_outputs(result),
        )
        return result

    def imported(
        self,
        task: specs.Task,
        task_id: str,
        parent: str | None,
        importer: specs.Importer,
        inputs: _Scope,
    ) -> _Done:
        src = importer.artifact_uri.source
        uri = inputs.parameters.get(src.name) if isinstance(src, specs.ComponentInput) else None
        if isinstance(src, specs.Constant):
            uri = self.constant(src.value)
        art = launches.Artifact(
            uri=str(uri or ""),
            name="artifact",
            schema_title=importer.schema_title,
            schema_version=importer.schema_version,
            metadata=dict(importer.metadata),
        ).to_status()
        result = _Done(State.SUCCEEDED, artifacts={"artifact": [art]})
        self.record(task_id, task, parent, state=State.SUCCEEDED, outputs=_outputs(result))
        return result

    def launch(
        self,
        task: specs.Task,
        task_id: str,
        comp: specs.Component,
        container: specs.Container,
        inputs: _Scope,
        *,
        mounts: tuple[str, ...] = (),
    ) -> launches.Launch:
        task_uri = self.run.task_uri(task_id)
        return launches.Launch(
            run=self.run.name,
            namespace=self.run.namespace,
            task=task.display_name or task.name,
            task_id=task_id,
            command=container.command,
            args=container.args,
            outputs_uri=stores.join(task_uri, stores.OUTPUTS),
            task_root=task_uri,
            pipeline_name=self.pipeline.name,
            pipeline_root=self.run.pipeline_root,
            run_uid=self.run.uid,
            parameters=dict(inputs.parameters),
            artifacts={
                k: tuple(launches.Artifact.from_dict(a) for a in v)
                for k, v in inputs.artifacts.items()
                if k in comp.inputs.artifacts
            },
            output_parameters={k: p.type.value for k, p in comp.outputs.parameters.items()},
            output_artifacts={
                k: launches.OutputArtifact(
                    uri=stores.join(task_uri, k),
                    schema_title=a.schema_title,
                    schema_version=a.schema_version,
                )
                for k, a in comp.outputs.artifacts.items()
            },
            envs_dir=self.run.envs_dir,
            mounts=mounts,
        )

    def cache_key(
        self,
        task: specs.Task,
        comp: specs.Component,
        container: specs.Container,
        inputs: _Scope,
    ) -> str | None:
        """The task's cache key, or None when caching is off for it (run switch, cachingOptions)."""
        enabled = task.caching if self.run.caching is None else self.run.caching
        if not enabled:
            return None
        return caching.key(comp, container, inputs.parameters, inputs.artifacts)

    def requeue(self, seconds: float) -> None:
        current = self.plan.requeue_after
        self.plan.requeue_after = seconds if current is None else min(current, seconds)


def _outputs(done: _Done) -> dict[str, Any]:
    return {"parameters": dict(done.parameters), "artifacts": dict(done.artifacts)}


def _inputs(scope: _Scope) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if scope.parameters:
        out["parameters"] = dict(scope.parameters)
    if scope.artifacts:
        out["artifacts"] = {k: [a["uri"] for a in v] for k, v in scope.artifacts.items()}
    return out or None


def advance(
    pipeline: specs.Pipeline,
    run: Run,
    arguments: Mapping[str, Any],
    records: Mapping[str, Record],
    observed: Mapping[str, list[PodView]],
    read_outputs: OutputsReader,
    now: dt.datetime,
    cache: CacheReader = _no_cache,
) -> Plan:
    """One pass: the run's next records, the pods to create, its state and outputs."""
    p = _Pass(pipeline, run, records, observed, read_outputs, now, cache)
    result = p.dag(pipeline.root, "", _Scope(parameters=dict(arguments)))
    p.plan.state = result.state
    if result.state is State.SUCCEEDED:
        p.plan.outputs = _outputs(result)
    if result.state is State.FAILED:
        p.plan.error = (result.error or {}).get("message") or "a task failed"
    return p.plan
