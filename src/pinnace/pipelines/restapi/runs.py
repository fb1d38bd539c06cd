"""`/apis/v2beta1/runs`: KFP runs as PipelineRuns (docs/design/pipeline-kinds.md).

Create: the body's `pipeline_spec` (or the IR of `pipeline_version_reference`'s
version, copied so a later upload never changes the run) is validated with its
`runtime_config.parameters` first (validating.py: 400 naming the task and
field, nothing created), then a PipelineRun is made in the experiment's
namespace (the default namespace without one), named from the display name
(`generateName`). Reads translate the object back: `state`, times, error and
`state_history` from its status, `run_details.task_details` from
`status.tasks` (a DAG's `child_tasks` from the records' `parentTaskId`).
Terminate sets `spec.cancel`; retry of a FAILED or CANCELED run bumps
`spec.retries` (the run controller runs the failed and canceled tasks again,
keeping what succeeded); archive is the storage-state label; delete removes
the object (its pods go with it: owner references).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette import requests, routing

from pinnace.api import kinds
from pinnace.kits.kube import errors as kube_errors
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines.restapi import (
    contexts,
    errors,
    experiments,
    listing,
    metas,
    pipelines,
    responding,
    validating,
)

PATH = "/apis/v2beta1/runs"
SCHEDULED_TIME = "pipelines.kubeflow.org/scheduled-time"
"""Annotation the RecurringRun controller puts on a run it starts: the slot (RFC 3339)."""
TERMINAL = frozenset({"SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"})


def _error(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or not (raw.get("message") or raw.get("code")):
        return None
    return {"code": int(raw.get("code") or 0), "message": str(raw.get("message") or "")}


def task_details(run: Object) -> list[dict[str, Any]]:
    """`status.tasks` → V2beta1PipelineTaskDetail list."""
    run_id = objects.uid_of(run)
    records = [t for t in (run.get("status") or {}).get("tasks") or [] if isinstance(t, dict)]
    children: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        parent = record.get("parentTaskId")
        if parent:
            child = {"task_id": str(record.get("taskId") or "")}
            if record.get("podName"):
                child["pod_name"] = record["podName"]
            children.setdefault(str(parent), []).append(child)
    out = []
    for record in records:
        task_id = str(record.get("taskId") or "")
        detail: dict[str, Any] = {
            "run_id": run_id,
            "task_id": task_id,
            "display_name": record.get("displayName") or record.get("name") or task_id,
            "state": record.get("state") or "PENDING",
        }
        optional = {
            "create_time": record.get("startedAt"),
            "start_time": record.get("startedAt"),
            "end_time": record.get("finishedAt"),
            "execution_id": record.get("executionId"),
            "parent_task_id": record.get("parentTaskId"),
            "pod_name": record.get("podName"),
            "error": _error(record.get("error")),
            "child_tasks": children.get(task_id),
        }
        detail.update({k: v for k, v in optional.items() if v})
        # pinnace's own fields beside KFP's (kfp_server_api ignores keys it does not know)
        for key, field in (("name", "name"), ("cached", "cached"), ("attempts", "attempts")):
            if record.get(field) is not None:
                detail[key] = record[field]
        out.append(detail)
    return out


def recurring_run_id(run: Object) -> str:
    for ref in objects.meta(run).get("ownerReferences") or []:
        if ref.get("kind") == kinds.RECURRINGRUNS.kind:
            return str(ref.get("uid") or "")
    return ""


def pipeline_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    ir = dict(spec.get("pipelineSpec") or {})
    if spec.get("platformSpec"):
        return {"pipeline_spec": ir, "platform_spec": spec["platformSpec"]}
    return ir


def runtime_config(spec: Mapping[str, Any]) -> dict[str, Any]:
    runtime = spec.get("runtimeConfig") or {}
    out: dict[str, Any] = {"parameters": dict(runtime.get("parameters") or {})}
    if runtime.get("pipelineRoot"):
        out["pipeline_root"] = runtime["pipelineRoot"]
    return out


def message(run: Object, experiment_id: str = "") -> dict[str, Any]:
    """PipelineRun → V2beta1Run."""
    spec = run.get("spec") or {}
    status = run.get("status") or {}
    out: dict[str, Any] = {
        "run_id": objects.uid_of(run),
        "display_name": spec.get("displayName") or objects.name_of(run),
        "description": spec.get("description") or "",
        "experiment_id": experiment_id,
        "storage_state": metas.storage_state(run),
        "pipeline_spec": pipeline_spec(spec),
        "runtime_config": runtime_config(spec),
        "service_account": spec.get("serviceAccountName") or "",
        "created_at": metas.created_at(run),
        "scheduled_at": (objects.meta(run).get("annotations") or {}).get(SCHEDULED_TIME)
        or metas.created_at(run),
        "state": status.get("state") or "PENDING",
        "run_details": {"task_details": task_details(run)},
        "state_history": [
            {k: v for k, v in item.items() if v}
            for item in (
                {
                    "update_time": h.get("updateTime"),
                    "state": h.get("state"),
                    "error": _error(h.get("error")),
                }
                for h in status.get("stateHistory") or []
                if isinstance(h, dict)
            )
        ],
    }
    ref = spec.get("pipelineVersionRef") or {}
    if ref.get("pipelineId") or ref.get("pipelineVersionId"):
        out["pipeline_version_reference"] = {
            "pipeline_id": ref.get("pipelineId") or "",
            "pipeline_version_id": ref.get("pipelineVersionId") or "",
        }
        out["pipeline_version_id"] = ref.get("pipelineVersionId") or ""
    if status.get("finishedAt"):
        out["finished_at"] = status["finishedAt"]
    if error := _error(status.get("error")):
        out["error"] = error
    if recurring := recurring_run_id(run):
        out["recurring_run_id"] = recurring
    # pinnace's own: the object's name and namespace (kubectl get pipelinerun -n NS NAME)
    out["name"], out["namespace"] = objects.name_of(run), objects.namespace_of(run)
    return out


async def resolve_source(
    ctx: contexts.Context, caller: contexts.Caller, data: Mapping[str, Any], where: str = ""
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(IR, platform spec, pipelineVersionRef) of a run or run template body."""
    ref = data.get("pipeline_version_reference") or {}
    if not isinstance(ref, Mapping):
        raise errors.InvalidArgument(f"{where}pipeline_version_reference: must be an object")
    version_id = str(ref.get("pipeline_version_id") or data.get("pipeline_version_id") or "")
    pipeline_id = str(ref.get("pipeline_id") or "")
    if data.get("pipeline_spec"):
        if version_id or pipeline_id:
            raise errors.InvalidArgument(
                f"{where}pipeline_spec: give either pipeline_spec or pipeline_version_reference"
            )
        ir, platform = validating.split(data["pipeline_spec"], f"{where}pipeline_spec")
        return ir, platform, {}
    if version_id:
        version, owner = await pipelines.version_object(ctx, caller, version_id)
        if pipeline_id and owner and pipeline_id != owner:
            raise errors.InvalidArgument(
                f"{where}pipeline_version_reference: version {version_id} is not a version of "
                f"pipeline {pipeline_id}"
            )
        pipeline_id = pipeline_id or owner
    elif pipeline_id:
        pipeline = await pipelines.get_object(ctx, caller, pipeline_id)
        version = ctx.finder.remember(await pipelines.latest_version(caller, pipeline))
        version_id = objects.uid_of(version)
    else:
        raise errors.InvalidArgument(
            f"{where}pipeline_spec: a run needs pipeline_spec or pipeline_version_reference"
        )
    spec = version.get("spec") or {}
    return (
        dict(spec.get("pipelineSpec") or {}),
        dict(spec.get("platformSpec") or {}),
        {"pipelineId": pipeline_id, "pipelineVersionId": version_id},
    )


async def template(
    ctx: contexts.Context, caller: contexts.Caller, data: Mapping[str, Any], where: str = ""
) -> tuple[dict[str, Any], str]:
    """A validated PipelineRun spec from a V2beta1Run-shaped body, and its namespace."""
    ir, platform, ref = await resolve_source(ctx, caller, data, where)
    runtime = data.get("runtime_config") or {}
    if not isinstance(runtime, Mapping):
        raise errors.InvalidArgument(f"{where}runtime_config: must be an object")
    parameters = runtime.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise errors.InvalidArgument(f"{where}runtime_config.parameters: must be an object")
    loaded = validating.pipeline(ir, platform, f"{where}pipeline_spec")
    validating.arguments(loaded, parameters)
    spec: dict[str, Any] = {"pipelineSpec": ir}
    if platform:
        spec["platformSpec"] = platform
    if ref:
        spec["pipelineVersionRef"] = ref
    config: dict[str, Any] = {"parameters": dict(parameters)}
    if runtime.get("pipeline_root"):
        config["pipelineRoot"] = str(runtime["pipeline_root"])
    spec["runtimeConfig"] = config
    display = str(data.get("display_name") or "") or loaded.name
    spec["displayName"] = display
    if data.get("description"):
        spec["description"] = str(data["description"])
    if data.get("service_account"):
        spec["serviceAccountName"] = str(data["service_account"])
    namespace = ""
    experiment_id = str(data.get("experiment_id") or "")
    if experiment_id:
        experiment = await experiments.get_object(ctx, caller, experiment_id)
        spec["experiment"] = objects.name_of(experiment)
        namespace = objects.namespace_of(experiment)
    return spec, ctx.namespace(namespace or data.get("namespace"))


async def get_object(ctx: contexts.Context, caller: contexts.Caller, run_id: str) -> Object:
    return await ctx.finder.get(caller.client, kinds.PIPELINERUNS, run_id, "run")


async def experiment_id_of(caller: contexts.Caller, run: Object) -> str:
    name = (run.get("spec") or {}).get("experiment")
    if not name:
        return ""
    try:
        found = await caller.client.get(
            kinds.EXPERIMENTS, name, namespace=objects.namespace_of(run)
        )
    except kube_errors.ApiError:
        return ""
    return objects.uid_of(found)


async def create(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    data = await contexts.body(request)
    if isinstance(data.get("run"), dict):  # grpc-gateway's `body: "run"` spelled out
        data = data["run"]
    if request.query_params.get("experiment_id") and not data.get("experiment_id"):
        data = {**data, "experiment_id": request.query_params["experiment_id"]}
    spec, namespace = await template(ctx, caller, data)
    body: Object = {
        "apiVersion": kinds.PIPELINERUNS.api_version,
        "kind": kinds.PIPELINERUNS.kind,
        "metadata": {"generateName": metas.slug(spec["displayName"], 40) + "-"},
        "spec": spec,
    }
    try:
        created = await caller.client.create(kinds.PIPELINERUNS, body, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"run {spec['displayName']!r}") from exc
    return message(ctx.finder.remember(created), str(data.get("experiment_id") or ""))


async def list_(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    q = listing.query(
        params, default_size=ctx.settings.page_size, max_size=ctx.settings.max_page_size
    )
    experiment_name = ""
    experiment_id = params.get("experiment_id") or ""
    if experiment_id:
        experiment = await experiments.get_object(ctx, caller, experiment_id)
        namespace, experiment_name = objects.namespace_of(experiment), objects.name_of(experiment)
    else:
        namespace = ctx.namespace(params.get("namespace"))
    try:
        found = await caller.client.list(kinds.PIPELINERUNS, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"runs in {namespace!r}") from exc
    named = await experiments.by_name(caller, namespace)
    messages = []
    for run in found.items:
        name = (run.get("spec") or {}).get("experiment") or ""
        if experiment_name and name != experiment_name:
            continue
        owner = named.get(name)
        messages.append(message(ctx.finder.remember(run), objects.uid_of(owner) if owner else ""))
    page = listing.page(messages, q, id_key="run_id")
    return {
        "runs": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


async def get(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    run = await get_object(ctx, caller, request.path_params["run_id"])
    return message(run, await experiment_id_of(caller, run))


async def _patch(
    ctx: contexts.Context, caller: contexts.Caller, run: Object, patch: dict[str, Any]
) -> None:
    try:
        await caller.client.patch(
            kinds.PIPELINERUNS, objects.name_of(run), patch, namespace=objects.namespace_of(run)
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"run {objects.uid_of(run)}") from exc


async def terminate(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    run = await get_object(ctx, caller, request.path_params["run_id"])
    state = (run.get("status") or {}).get("state") or "PENDING"
    if state not in TERMINAL:
        await _patch(ctx, caller, run, {"spec": {"cancel": True}})
    return {}


async def retry(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    run = await get_object(ctx, caller, request.path_params["run_id"])
    state = (run.get("status") or {}).get("state") or "PENDING"
    if state not in ("FAILED", "CANCELED"):
        raise errors.FailedPrecondition(
            f"run {objects.uid_of(run)} is {state}: only a FAILED or CANCELED run can be retried"
        )
    retries = int((run.get("spec") or {}).get("retries") or 0)
    if retries > int((run.get("status") or {}).get("retries") or 0):
        return {}  # a round asked for and not taken up yet: asking twice is one retry
    await _patch(ctx, caller, run, {"spec": {"retries": retries + 1, "cancel": False}})
    return {}


async def _store(ctx: contexts.Context, request: requests.Request, state: str) -> dict[str, Any]:
    caller = ctx.caller(request)
    run = await get_object(ctx, caller, request.path_params["run_id"])
    await _patch(ctx, caller, run, metas.storage_patch(state))
    return {}


async def archive(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    return await _store(ctx, request, metas.ARCHIVED)


async def unarchive(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    return await _store(ctx, request, metas.AVAILABLE)


async def delete(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    run = await get_object(ctx, caller, request.path_params["run_id"])
    try:
        await caller.client.delete(
            kinds.PIPELINERUNS, objects.name_of(run), namespace=objects.namespace_of(run)
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"run {objects.uid_of(run)}") from exc
    ctx.finder.forget(objects.uid_of(run))
    return {}


def routes(ctx: contexts.Context) -> list[routing.BaseRoute]:
    one = PATH + "/{run_id}"
    return [
        responding.route(ctx, PATH, create, "POST"),
        responding.route(ctx, PATH, list_, "GET"),
        responding.route(ctx, one + ":terminate", terminate, "POST"),
        responding.route(ctx, one + ":retry", retry, "POST"),
        responding.route(ctx, one + ":archive", archive, "POST"),
        responding.route(ctx, one + ":unarchive", unarchive, "POST"),
        responding.route(ctx, one, get, "GET"),
        responding.route(ctx, one, delete, "DELETE"),
    ]
