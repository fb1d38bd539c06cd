"""KFP's artifacts API: `GET /apis/v2beta1/artifacts[/{artifact_id}]` and `/artifact_tasks`.

The answers come from the lineage graph (`pipelines.lineage`), built from the
PipelineRuns the caller may list, so there is no metadata store and the API
server's RBAC decides who sees what. The message shapes follow KFP's
`backend/api/v2beta1/artifacts.proto` (the ArtifactService of KFP 2.x:
artifact_id, storage_provider, storage_path, uri, namespace, artifact_type,
created_at, last_updated_at; list paging by `max_result_size`,
`order_by_field` + `order_by`, `next_page_token`), plus `name` and `metadata`
from the newer `artifact.proto`; KFP's `filter`, `sort_by`, `page_size` and
`page_token` work too (`listing`). `artifact_tasks` (from `artifact.proto`)
answers the lineage edges: which task of which run produced or consumed an
artifact (`type` OUTPUT or TASK_OUTPUT_INPUT, `producer`, `key`).
Ids: an artifact's id is a hash of its URI (`lineage.artifact_id`), a run's is
its uid, a task's is its task id — as `runs.task_details` reports them.
`view=DOWNLOAD` gives no signed URL (not served).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from starlette import requests, routing

from pinnace.api import kinds
from pinnace.kits.kube import errors as kube_errors
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import lineage
from pinnace.pipelines.restapi import contexts, errors, listing, responding

PATH = "/apis/v2beta1/artifacts"
TASKS_PATH = "/apis/v2beta1/artifact_tasks"

_ORDER_FIELDS = {
    "": "created_at",
    "FIELD_UNSPECIFIED": "created_at",
    "CREATE_TIME": "created_at",
    "LAST_UPDATE_TIME": "last_updated_at",
    "ID": "artifact_id",
}


def message(artifact: lineage.Artifact) -> dict[str, Any]:
    """An Artifact message (KFP's snake_case JSON)."""
    scheme, _, rest = artifact.uri.partition("://")
    out: dict[str, Any] = {
        "artifact_id": artifact.id,
        "name": artifact.name,
        "uri": artifact.uri,
        "storage_provider": scheme if rest else "",
        "storage_path": rest.partition("/")[2] if scheme != "file" else rest,
        "namespace": artifact.namespace,
        "artifact_type": artifact.schema_title,
        "metadata": dict(artifact.metadata),
    }
    if artifact.created_at:
        out["created_at"] = out["last_updated_at"] = artifact.created_at
    return out


def task_message(event: lineage.Event) -> dict[str, Any]:
    """An ArtifactTask message: one input or output edge of an execution."""
    ex = event.execution
    kind = "OUTPUT" if event.type is lineage.EventType.OUTPUT else "TASK_OUTPUT_INPUT"
    artifact_id = lineage.artifact_id(event.uri)
    return {
        "id": f"{ex.run_uid}/{ex.task_id}/{kind}/{event.key}/{event.index}",
        "artifact_id": artifact_id,
        "run_id": ex.run_uid,
        "task_id": ex.task_id,
        "type": kind,
        "producer": {"task_name": ex.name},
        "key": event.key,
    }


def _query(params: Mapping[str, str], ctx: contexts.Context) -> listing.Query:
    """artifacts.proto's paging names, mapped onto KFP's common list parameters."""
    mapped = dict(params)
    if params.get("max_result_size") and not params.get("page_size"):
        mapped["page_size"] = params["max_result_size"]
    if params.get("next_page_token") and not params.get("page_token"):
        mapped["page_token"] = params["next_page_token"]
    field = params.get("order_by_field")
    if field is not None and not params.get("sort_by"):
        if field.upper() not in _ORDER_FIELDS:
            raise errors.InvalidArgument(f"order_by_field: unknown field {field!r}")
        order = (params.get("order_by") or "asc").lower()
        if order not in ("asc", "desc"):
            raise errors.InvalidArgument(f"order_by: {order!r} is not 'asc' or 'desc'")
        mapped["sort_by"] = f"{_ORDER_FIELDS[field.upper()]} {order}"
    return listing.query(mapped, default_size=ctx.settings.page_size, max_size=100)


async def _runs(caller: contexts.Caller, namespace: str) -> list[Object]:
    try:
        found = await caller.client.list(kinds.PIPELINERUNS, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"runs in {namespace!r}") from exc
    return list(found.items)


async def list_(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    q = _query(params, ctx)
    graph = lineage.build(await _runs(caller, ctx.namespace(params.get("namespace"))))
    page = listing.page([message(a) for a in graph.artifacts.values()], q, id_key="artifact_id")
    return {
        "artifacts": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


async def _namespace_of(ctx: contexts.Context, artifact_id: str) -> str | None:
    """Which namespace an artifact id lives in, found with the platform's own client (as
    KFP's server resolves ids); the caller's own read decides whether they may see it."""
    found = await ctx.platform.list(kinds.PIPELINERUNS)
    artifact = lineage.build(found.items).by_id(artifact_id)
    return artifact.namespace if artifact is not None else None


async def get(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    artifact_id = request.path_params["artifact_id"]
    namespace = request.query_params.get("namespace") or await _namespace_of(ctx, artifact_id)
    if namespace is None:
        raise errors.NotFound(f"artifact {artifact_id}: not found")
    artifact = lineage.build(await _runs(caller, namespace)).by_id(artifact_id)
    if artifact is None:
        raise errors.NotFound(f"artifact {artifact_id}: not found")
    return message(artifact)


def _ids(request: requests.Request, name: str) -> set[str]:
    values: set[str] = set()
    for raw in request.query_params.getlist(name):
        values.update(v for v in urllib.parse.unquote(raw).split(",") if v)
    return values


async def list_tasks(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    kind = (params.get("type") or "").upper()
    if kind not in ("", "UNSPECIFIED", "OUTPUT", "TASK_OUTPUT_INPUT"):
        raise errors.InvalidArgument(f"type: {kind!r} is not OUTPUT or TASK_OUTPUT_INPUT")
    q = listing.query(
        {k: v for k, v in params.items() if k in ("filter", "sort_by", "page_size", "page_token")},
        default_size=ctx.settings.page_size,
        max_size=ctx.settings.max_page_size,
    )
    run_ids, task_ids, artifact_ids = (
        _ids(request, n) for n in ("run_ids", "task_ids", "artifact_ids")
    )
    runs = await _runs(caller, ctx.namespace(params.get("namespace")))
    if run_ids:
        runs = [r for r in runs if objects.uid_of(r) in run_ids]
    graph = lineage.build(runs)
    edges = [task_message(e) for e in graph.events]
    kept = [
        m
        for m in edges
        if (not task_ids or m["task_id"] in task_ids)
        and (not artifact_ids or m["artifact_id"] in artifact_ids)
        and (kind in ("", "UNSPECIFIED") or m["type"] == kind)
    ]
    page = listing.page(kept, q, id_key="id")
    return {
        "artifact_tasks": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


def routes(ctx: contexts.Context) -> list[routing.BaseRoute]:
    return [
        responding.route(ctx, PATH, list_, "GET"),
        responding.route(ctx, PATH + "/{artifact_id}", get, "GET"),
        responding.route(ctx, TASKS_PATH, list_tasks, "GET"),
    ]
