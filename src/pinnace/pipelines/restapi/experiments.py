"""`/apis/v2beta1/experiments`: KFP experiments as `pipelines.kubeflow.org/v1alpha1` Experiments.

An experiment is an object in its namespace (docs/design/kfp-api.md): the
name comes from the display name (`metas.object_name`, so creating the same
display name twice is KFP's 409 ALREADY_EXISTS), `spec.displayName` and
`spec.description` hold the rest, archiving is the storage-state label. Runs
belong to an experiment by name (`PipelineRun.spec.experiment`). Archiving an
experiment archives its runs, as KFP does; unarchiving restores only the
experiment; deleting it leaves its runs.
"""

from __future__ import annotations

from typing import Any

from starlette import requests, routing

from pinnace.api import kinds
from pinnace.kits.kube import errors as kube_errors
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines.restapi import contexts, errors, listing, metas, responding

PATH = "/apis/v2beta1/experiments"


def message(obj: Object) -> dict[str, Any]:
    """Experiment → V2beta1Experiment."""
    spec = obj.get("spec") or {}
    return {
        "experiment_id": objects.uid_of(obj),
        "display_name": spec.get("displayName") or objects.name_of(obj),
        "description": spec.get("description") or "",
        "created_at": metas.created_at(obj),
        "namespace": objects.namespace_of(obj),
        "storage_state": metas.storage_state(obj),
    }


def manifest(display_name: str, description: str, namespace: str) -> Object:
    return {
        "apiVersion": kinds.EXPERIMENTS.api_version,
        "kind": kinds.EXPERIMENTS.kind,
        "metadata": {"name": metas.object_name(display_name), "namespace": namespace},
        "spec": {"displayName": display_name, "description": description},
    }


async def get_object(ctx: contexts.Context, caller: contexts.Caller, experiment_id: str) -> Object:
    return await ctx.finder.get(caller.client, kinds.EXPERIMENTS, experiment_id, "experiment")


async def create(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    data = await contexts.body(request)
    display_name = contexts.text(data, "display_name")
    if not display_name:
        raise errors.InvalidArgument("display_name: an experiment needs a display name")
    namespace = ctx.namespace(contexts.text(data, "namespace"))
    body = manifest(display_name, contexts.text(data, "description"), namespace)
    try:
        created = await caller.client.create(kinds.EXPERIMENTS, body, namespace=namespace)
    except kube_errors.AlreadyExists as exc:
        raise errors.AlreadyExists(
            f"experiment {display_name!r} already exists in namespace {namespace!r}"
        ) from exc
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"experiment {display_name!r}") from exc
    return message(ctx.finder.remember(created))


async def by_name(caller: contexts.Caller, namespace: str) -> dict[str, Object]:
    """The namespace's experiments by object name (to give runs their experiment ids)."""
    try:
        found = await caller.client.list(kinds.EXPERIMENTS, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"experiments in {namespace!r}") from exc
    return {objects.name_of(e): e for e in found.items}


async def list_(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    q = listing.query(
        params, default_size=ctx.settings.page_size, max_size=ctx.settings.max_page_size
    )
    namespace = ctx.namespace(params.get("namespace") or params.get("resource_reference_key.id"))
    found = await by_name(caller, namespace)
    messages = [message(ctx.finder.remember(e)) for e in found.values()]
    page = listing.page(messages, q, id_key="experiment_id")
    return {
        "experiments": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


async def get(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    return message(await get_object(ctx, caller, request.path_params["experiment_id"]))


async def _store(ctx: contexts.Context, request: requests.Request, state: str) -> dict[str, Any]:
    caller = ctx.caller(request)
    obj = await get_object(ctx, caller, request.path_params["experiment_id"])
    namespace, name = objects.namespace_of(obj), objects.name_of(obj)
    try:
        await caller.client.patch(
            kinds.EXPERIMENTS, name, metas.storage_patch(state), namespace=namespace
        )
        if state == metas.ARCHIVED:
            runs = await caller.client.list(kinds.PIPELINERUNS, namespace=namespace)
            for run in runs.items:
                if (run.get("spec") or {}).get("experiment") == name:
                    await caller.client.patch(
                        kinds.PIPELINERUNS,
                        objects.name_of(run),
                        metas.storage_patch(state),
                        namespace=namespace,
                    )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"experiment {name!r}") from exc
    return {}


async def archive(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    return await _store(ctx, request, metas.ARCHIVED)


async def unarchive(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    return await _store(ctx, request, metas.AVAILABLE)


async def delete(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    obj = await get_object(ctx, caller, request.path_params["experiment_id"])
    try:
        await caller.client.delete(
            kinds.EXPERIMENTS, objects.name_of(obj), namespace=objects.namespace_of(obj)
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"experiment {objects.name_of(obj)!r}") from exc
    ctx.finder.forget(objects.uid_of(obj))
    return {}


def routes(ctx: contexts.Context) -> list[routing.BaseRoute]:
    one = PATH + "/{experiment_id}"
    return [
        responding.route(ctx, PATH, create, "POST"),
        responding.route(ctx, PATH, list_, "GET"),
        responding.route(ctx, one + ":archive", archive, "POST"),
        responding.route(ctx, one + ":unarchive", unarchive, "POST"),
        responding.route(ctx, one, get, "GET"),
        responding.route(ctx, one, delete, "DELETE"),
    ]
