"""`/apis/v2beta1/recurringruns`: KFP recurring runs as RecurringRuns (docs/design/pipeline-kinds.md).

Translation only; the RecurringRun controller (pipelines/recurringruns.py)
creates the runs. KFP's trigger (`cron_schedule {cron, start_time,
end_time}` or `periodic_schedule {interval_second, ...}`) becomes
`spec.trigger.cron.expression` or `spec.trigger.periodic.intervalSeconds` with
`spec.startTime`/`endTime`; `mode`, `max_concurrency` and `no_catchup` map
one to one; the run fields (`pipeline_spec` or `pipeline_version_reference`,
`runtime_config`, the experiment) are validated as for a run and become
`spec.runTemplate`. `status` is ENABLED or DISABLED from the mode.
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
    responding,
    runs,
)

PATH = "/apis/v2beta1/recurringruns"


def _trigger(spec: Mapping[str, Any]) -> dict[str, Any]:
    trigger = spec.get("trigger") or {}
    window = {
        k: v
        for k, v in (("start_time", spec.get("startTime")), ("end_time", spec.get("endTime")))
        if v
    }
    if "cron" in trigger:
        return {"cron_schedule": {"cron": trigger["cron"].get("expression", ""), **window}}
    if "periodic" in trigger:
        seconds = trigger["periodic"].get("intervalSeconds")
        return {"periodic_schedule": {"interval_second": str(seconds), **window}}
    return {}


def message(obj: Object, experiment_id: str = "") -> dict[str, Any]:
    """RecurringRun → V2beta1RecurringRun."""
    spec = obj.get("spec") or {}
    run_template = spec.get("runTemplate") or {}
    mode = spec.get("mode") or "ENABLE"
    out: dict[str, Any] = {
        "recurring_run_id": objects.uid_of(obj),
        "display_name": spec.get("displayName") or objects.name_of(obj),
        "description": spec.get("description") or "",
        "pipeline_spec": runs.pipeline_spec(run_template),
        "runtime_config": runs.runtime_config(run_template),
        "service_account": run_template.get("serviceAccountName") or "",
        "max_concurrency": str(spec.get("maxConcurrency") or 1),
        "trigger": _trigger(spec),
        "mode": mode,
        "created_at": metas.created_at(obj),
        "updated_at": metas.created_at(obj),
        "status": "ENABLED" if mode == "ENABLE" else "DISABLED",
        "no_catchup": bool(spec.get("noCatchup")),
        "namespace": objects.namespace_of(obj),
        "experiment_id": experiment_id,
    }
    ref = run_template.get("pipelineVersionRef") or {}
    if ref:
        out["pipeline_version_reference"] = {
            "pipeline_id": ref.get("pipelineId") or "",
            "pipeline_version_id": ref.get("pipelineVersionId") or "",
        }
    return out


def _schedule(data: Mapping[str, Any]) -> dict[str, Any]:
    trigger = data.get("trigger")
    if not isinstance(trigger, Mapping):
        raise errors.InvalidArgument("trigger: a recurring run needs a cron or periodic schedule")
    cron, periodic = trigger.get("cron_schedule"), trigger.get("periodic_schedule")
    if bool(cron) == bool(periodic):
        raise errors.InvalidArgument(
            "trigger: exactly one of cron_schedule and periodic_schedule is required"
        )
    out: dict[str, Any] = {}
    schedule = cron if cron else periodic
    if not isinstance(schedule, Mapping):
        raise errors.InvalidArgument("trigger: the schedule must be an object")
    if cron:
        expression = str(schedule.get("cron") or "").strip()
        if not expression:
            raise errors.InvalidArgument("trigger.cron_schedule.cron: required")
        out["trigger"] = {"cron": {"expression": expression}}
    else:
        raw = schedule.get("interval_second")
        try:
            seconds = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise errors.InvalidArgument(
                f"trigger.periodic_schedule.interval_second: {raw!r} is not an integer"
            ) from exc
        if seconds < 1:
            raise errors.InvalidArgument(
                "trigger.periodic_schedule.interval_second: must be at least 1"
            )
        out["trigger"] = {"periodic": {"intervalSeconds": seconds}}
    for field, key in (("start_time", "startTime"), ("end_time", "endTime")):
        if schedule.get(field):
            out[key] = str(schedule[field])
    return out


async def create(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    data = await contexts.body(request)
    if isinstance(data.get("recurring_run"), dict):
        data = data["recurring_run"]
    schedule = _schedule(data)
    run_spec, namespace = await runs.template(ctx, caller, data)
    display = run_spec.pop("displayName")
    description = run_spec.pop("description", "")
    mode = str(data.get("mode") or "ENABLE")
    if mode not in ("ENABLE", "DISABLE"):
        raise errors.InvalidArgument(f"mode: {mode!r} is not ENABLE or DISABLE")
    raw_concurrency = data.get("max_concurrency") or 1
    try:
        concurrency = int(raw_concurrency)
    except (TypeError, ValueError) as exc:
        raise errors.InvalidArgument(
            f"max_concurrency: {raw_concurrency!r} is not an integer"
        ) from exc
    if not 1 <= concurrency <= 10:
        raise errors.InvalidArgument("max_concurrency: must be between 1 and 10")
    spec: dict[str, Any] = {
        "displayName": display,
        "description": description,
        **schedule,
        "maxConcurrency": concurrency,
        "noCatchup": bool(data.get("no_catchup")),
        "mode": mode,
        "runTemplate": run_spec,
    }
    body: Object = {
        "apiVersion": kinds.RECURRINGRUNS.api_version,
        "kind": kinds.RECURRINGRUNS.kind,
        "metadata": {"generateName": metas.slug(display, 40) + "-"},
        "spec": spec,
    }
    try:
        created = await caller.client.create(kinds.RECURRINGRUNS, body, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"recurring run {display!r}") from exc
    return message(ctx.finder.remember(created), str(data.get("experiment_id") or ""))


async def get_object(ctx: contexts.Context, caller: contexts.Caller, rid: str) -> Object:
    return await ctx.finder.get(caller.client, kinds.RECURRINGRUNS, rid, "recurring run")


async def get(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    obj = await get_object(ctx, caller, request.path_params["recurring_run_id"])
    template = (obj.get("spec") or {}).get("runTemplate") or {}
    experiment_id = ""
    if template.get("experiment"):
        named = await experiments.by_name(caller, objects.namespace_of(obj))
        found = named.get(template["experiment"])
        experiment_id = objects.uid_of(found) if found else ""
    return message(obj, experiment_id)


async def list_(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    q = listing.query(
        params, default_size=ctx.settings.page_size, max_size=ctx.settings.max_page_size
    )
    experiment_name = ""
    if params.get("experiment_id"):
        experiment = await experiments.get_object(ctx, caller, params["experiment_id"])
        namespace, experiment_name = objects.namespace_of(experiment), objects.name_of(experiment)
    else:
        namespace = ctx.namespace(params.get("namespace"))
    try:
        found = await caller.client.list(kinds.RECURRINGRUNS, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"recurring runs in {namespace!r}") from exc
    named = await experiments.by_name(caller, namespace)
    messages = []
    for obj in found.items:
        name = ((obj.get("spec") or {}).get("runTemplate") or {}).get("experiment") or ""
        if experiment_name and name != experiment_name:
            continue
        owner = named.get(name)
        messages.append(message(ctx.finder.remember(obj), objects.uid_of(owner) if owner else ""))
    page = listing.page(messages, q, id_key="recurring_run_id")
    return {
        "recurringRuns": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


async def _mode(ctx: contexts.Context, request: requests.Request, mode: str) -> dict[str, Any]:
    caller = ctx.caller(request)
    obj = await get_object(ctx, caller, request.path_params["recurring_run_id"])
    try:
        await caller.client.patch(
            kinds.RECURRINGRUNS,
            objects.name_of(obj),
            {"spec": {"mode": mode}},
            namespace=objects.namespace_of(obj),
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"recurring run {objects.uid_of(obj)}") from exc
    return {}


async def enable(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    return await _mode(ctx, request, "ENABLE")


async def disable(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    return await _mode(ctx, request, "DISABLE")


async def delete(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    obj = await get_object(ctx, caller, request.path_params["recurring_run_id"])
    try:
        await caller.client.delete(
            kinds.RECURRINGRUNS, objects.name_of(obj), namespace=objects.namespace_of(obj)
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"recurring run {objects.uid_of(obj)}") from exc
    ctx.finder.forget(objects.uid_of(obj))
    return {}


def routes(ctx: contexts.Context) -> list[routing.BaseRoute]:
    one = PATH + "/{recurring_run_id}"
    return [
        responding.route(ctx, PATH, create, "POST"),
        responding.route(ctx, PATH, list_, "GET"),
        responding.route(ctx, one + ":enable", enable, "POST"),
        responding.route(ctx, one + ":disable", disable, "POST"),
        responding.route(ctx, one, get, "GET"),
        responding.route(ctx, one, delete, "DELETE"),
    ]
