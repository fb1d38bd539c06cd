"""`/apis/v2beta1/pipelines` (and `/versions`): uploads as `v2beta1` Pipeline and PipelineVersion.

The objects are KFP's own Kubernetes-native shapes (KEP-11551; upstream's
`backend/src/crd/kubernetes/v2beta1`), so `kubectl apply` of an upstream
PipelineVersion shows up here too:

- Pipeline: named from KFP's `name` (`metas.object_name`), `spec.description`,
  and `spec.displayName` (ours: KFP's display_name; absent → the name).
- PipelineVersion: `spec.pipelineSpec` (the IR) and `spec.platformSpec`,
  `spec.pipelineName`, `versionName`, `displayName`, `description`,
  `codeSourceURL`; it belongs to its Pipeline by an ownerReference and the
  `pipelines.kubeflow.org/pipeline-id` label when created here, and by
  `spec.pipelineName` alone when applied by hand. Its name is upstream's:
  the version name when it equals the pipeline's, else `<pipeline>-<version>`.

Uploads are validated first (validating.py), so a bad file creates nothing;
an upload whose version cannot be created removes the Pipeline it just made.
Deleting a pipeline with versions needs `?cascade=true`, as in KFP.
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette import datastructures, requests, routing

from pinnace.api import kinds
from pinnace.kits.kube import errors as kube_errors
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines.restapi import contexts, errors, listing, metas, responding, validating

PATH = "/apis/v2beta1/pipelines"


def message(obj: Object) -> dict[str, Any]:
    """Pipeline → V2beta1Pipeline."""
    spec = obj.get("spec") or {}
    return {
        "pipeline_id": objects.uid_of(obj),
        "name": objects.name_of(obj),
        "display_name": spec.get("displayName") or objects.name_of(obj),
        "description": spec.get("description") or "",
        "created_at": metas.created_at(obj),
        "namespace": objects.namespace_of(obj),
    }


def version_name(obj: Object) -> str:
    return str((obj.get("spec") or {}).get("versionName") or objects.name_of(obj))


def pipeline_spec(version: Object) -> dict[str, Any]:
    """What KFP returns as a version's `pipeline_spec`: the IR, wrapped with a platform spec."""
    spec = version.get("spec") or {}
    ir = spec.get("pipelineSpec") or {}
    if spec.get("platformSpec"):
        return {"pipeline_spec": ir, "platform_spec": spec["platformSpec"]}
    return dict(ir)


def version_message(obj: Object, pipeline_id: str) -> dict[str, Any]:
    """PipelineVersion → V2beta1PipelineVersion."""
    spec = obj.get("spec") or {}
    name = version_name(obj)
    out: dict[str, Any] = {
        "pipeline_id": pipeline_id,
        "pipeline_version_id": objects.uid_of(obj),
        "name": name,
        "display_name": spec.get("displayName") or name,
        "description": spec.get("description") or "",
        "created_at": metas.created_at(obj),
        "pipeline_spec": pipeline_spec(obj),
    }
    if spec.get("codeSourceURL"):
        out["code_source_url"] = spec["codeSourceURL"]
    if spec.get("pipelineSpecURI"):
        out["package_url"] = {"pipeline_url": spec["pipelineSpecURI"]}
    return out


def owns(pipeline: Object, version: Object) -> bool:
    """Whether `version` belongs to `pipeline` (ownerReference, label, or spec.pipelineName)."""
    uid = objects.uid_of(pipeline)
    for ref in objects.meta(version).get("ownerReferences") or []:
        if ref.get("kind") == kinds.PIPELINES.kind:
            return bool(ref.get("uid") == uid)
    label = objects.labels_of(version).get(metas.PIPELINE_ID)
    if label:
        return label == uid
    return bool((version.get("spec") or {}).get("pipelineName") == objects.name_of(pipeline))


def manifest(name: str, display_name: str, description: str, namespace: str) -> Object:
    spec: dict[str, Any] = {"description": description}
    if display_name and display_name != name:
        spec["displayName"] = display_name
    return {
        "apiVersion": kinds.PIPELINES.api_version,
        "kind": kinds.PIPELINES.kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def version_manifest(
    pipeline: Object,
    *,
    name: str,
    display_name: str,
    description: str,
    ir: dict[str, Any],
    platform: dict[str, Any],
    code_source_url: str = "",
) -> Object:
    pipeline_name = objects.name_of(pipeline)
    object_name = name if name == pipeline_name else metas.object_name(f"{pipeline_name}-{name}")
    spec: dict[str, Any] = {
        "pipelineName": pipeline_name,
        "displayName": display_name or name,
        "description": description,
        "pipelineSpec": ir,
    }
    if metas.object_name(name) == name:
        spec["versionName"] = name
    if platform:
        spec["platformSpec"] = platform
    if code_source_url:
        spec["codeSourceURL"] = code_source_url
    return {
        "apiVersion": kinds.PIPELINEVERSIONS.api_version,
        "kind": kinds.PIPELINEVERSIONS.kind,
        "metadata": {
            "name": object_name,
            "namespace": objects.namespace_of(pipeline),
            "labels": {metas.PIPELINE_ID: objects.uid_of(pipeline)},
            "ownerReferences": [objects.owner_reference(pipeline, controller=False, block=False)],
        },
        "spec": spec,
    }


async def get_object(ctx: contexts.Context, caller: contexts.Caller, pipeline_id: str) -> Object:
    return await ctx.finder.get(caller.client, kinds.PIPELINES, pipeline_id, "pipeline")


async def versions_of(caller: contexts.Caller, pipeline: Object) -> list[Object]:
    namespace = objects.namespace_of(pipeline)
    try:
        found = await caller.client.list(kinds.PIPELINEVERSIONS, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"versions of pipeline {objects.name_of(pipeline)!r}") from exc
    return [v for v in found.items if owns(pipeline, v)]


async def latest_version(caller: contexts.Caller, pipeline: Object) -> Object:
    """A pipeline's default version: its newest (KFP's default version)."""
    versions = await versions_of(caller, pipeline)
    if not versions:
        raise errors.FailedPrecondition(f"pipeline {objects.uid_of(pipeline)} has no versions")
    return max(versions, key=lambda v: (metas.created_at(v) or "", objects.name_of(v)))


async def version_object(
    ctx: contexts.Context, caller: contexts.Caller, version_id: str
) -> tuple[Object, str]:
    """A version by id and its pipeline's id."""
    version = await ctx.finder.get(
        caller.client, kinds.PIPELINEVERSIONS, version_id, "pipeline version"
    )
    return version, await pipeline_id_of(ctx, caller, version)


async def pipeline_id_of(ctx: contexts.Context, caller: contexts.Caller, version: Object) -> str:
    for ref in objects.meta(version).get("ownerReferences") or []:
        if ref.get("kind") == kinds.PIPELINES.kind:
            return str(ref.get("uid") or "")
    label = objects.labels_of(version).get(metas.PIPELINE_ID)
    if label:
        return label
    name = (version.get("spec") or {}).get("pipelineName")
    if not name:
        return ""
    try:
        pipeline = await caller.client.get(
            kinds.PIPELINES, name, namespace=objects.namespace_of(version)
        )
    except kube_errors.ApiError:
        return ""
    return objects.uid_of(ctx.finder.remember(pipeline))


async def _create(caller: contexts.Caller, rt: Any, body: Object, what: str) -> Object:
    try:
        created: Object = await caller.client.create(
            rt, body, namespace=body["metadata"]["namespace"]
        )
    except kube_errors.AlreadyExists as exc:
        raise errors.AlreadyExists(f"{what} already exists") from exc
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, what) from exc
    return created


async def create_with_version(
    ctx: contexts.Context,
    caller: contexts.Caller,
    pipeline_body: Object,
    version: dict[str, Any],
) -> tuple[Object, Object]:
    """Create a Pipeline and its first version; nothing stays when the version fails."""
    name = pipeline_body["metadata"]["name"]
    created = await _create(caller, kinds.PIPELINES, pipeline_body, f"pipeline {name!r}")
    try:
        first = await _create(
            caller,
            kinds.PIPELINEVERSIONS,
            version_manifest(created, **version),
            f"pipeline version {version['name']!r}",
        )
    except errors.KfpError:
        with contextlib.suppress(kube_errors.ApiError):
            await caller.client.delete(
                kinds.PIPELINES, name, namespace=objects.namespace_of(created)
            )
        raise
    return ctx.finder.remember(created), ctx.finder.remember(first)


async def _uploaded(request: requests.Request) -> tuple[str, str]:
    """The uploaded file's text and file name (multipart field `uploadfile`)."""
    try:
        form = await request.form()
    except Exception as exc:  # multipart's own errors: a malformed body is the caller's
        raise errors.InvalidArgument(f"uploadfile: cannot read the multipart body: {exc}") from exc
    try:
        upload = form.get("uploadfile")
        if not isinstance(upload, datastructures.UploadFile):
            raise errors.InvalidArgument(
                "uploadfile: a pipeline file is required (multipart field)"
            )
        raw = await upload.read()
        filename = upload.filename or ""
    finally:
        await form.close()
    try:
        return raw.decode("utf-8"), filename
    except UnicodeDecodeError as exc:
        raise errors.InvalidArgument(f"uploadfile: not UTF-8 text: {exc}") from exc


def _version_fields(
    text: str, what: str, *, name: str, display_name: str, description: str
) -> dict[str, Any]:
    ir, platform = validating.documents(text, what)
    validating.pipeline(ir, platform, what)
    return {
        "name": name,
        "display_name": display_name,
        "description": description,
        "ir": ir,
        "platform": platform,
    }


async def upload(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    text, filename = await _uploaded(request)
    display = params.get("display_name") or params.get("name") or ""
    if not display:
        display = filename.rsplit("/", 1)[-1].split(".", 1)[0]
    if not display:
        raise errors.InvalidArgument("name: the pipeline needs a name")
    name = metas.object_name(params.get("name") or display)
    description = params.get("description") or ""
    version = _version_fields(
        text, "uploadfile", name=name, display_name=display, description=description
    )
    namespace = ctx.namespace(params.get("namespace"))
    body = manifest(name, display, description, namespace)
    created, _ = await create_with_version(ctx, caller, body, version)
    return message(created)


async def upload_version(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    params = request.query_params
    text, filename = await _uploaded(request)
    pipeline = await get_object(ctx, caller, params.get("pipelineid") or "")
    display = params.get("display_name") or params.get("name") or filename.split(".", 1)[0]
    if not display:
        raise errors.InvalidArgument("name: the pipeline version needs a name")
    version = _version_fields(
        text,
        "uploadfile",
        name=metas.object_name(params.get("name") or display),
        display_name=display,
        description=params.get("description") or "",
    )
    created = await _create(
        caller,
        kinds.PIPELINEVERSIONS,
        version_manifest(pipeline, **version),
        f"pipeline version {display!r}",
    )
    return version_message(ctx.finder.remember(created), objects.uid_of(pipeline))


def _version_body(data: dict[str, Any], where: str, fallback_name: str) -> dict[str, Any]:
    display = contexts.text(data, "display_name", where=where) or contexts.text(
        data, "name", where=where
    )
    display = display or fallback_name
    if "pipeline_spec" not in data:
        if data.get("package_url"):
            raise errors.InvalidArgument(
                f"{where}package_url: fetching a pipeline from a URL is not served; "
                "send pipeline_spec or upload the file"
            )
        raise errors.InvalidArgument(f"{where}pipeline_spec: a pipeline version needs its IR")
    ir, platform = validating.split(data["pipeline_spec"], f"{where}pipeline_spec")
    validating.pipeline(ir, platform, f"{where}pipeline_spec")
    return {
        "name": metas.object_name(contexts.text(data, "name", where=where) or display),
        "display_name": display,
        "description": contexts.text(data, "description", where=where),
        "ir": ir,
        "platform": platform,
        "code_source_url": contexts.text(data, "code_source_url", where=where),
    }


def _pipeline_body(ctx: contexts.Context, data: dict[str, Any], where: str) -> Object:
    display = contexts.text(data, "display_name", where=where) or contexts.text(
        data, "name", where=where
    )
    if not display:
        raise errors.InvalidArgument(f"{where}display_name: the pipeline needs a name")
    name = metas.object_name(contexts.text(data, "name", where=where) or display)
    namespace = ctx.namespace(contexts.text(data, "namespace", where=where))
    return manifest(name, display, contexts.text(data, "description", where=where), namespace)


async def create(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    body = _pipeline_body(ctx, await contexts.body(request), "")
    created = await _create(caller, kinds.PIPELINES, body, f"pipeline {body['metadata']['name']!r}")
    return message(ctx.finder.remember(created))


async def create_with_first_version(
    ctx: contexts.Context, request: requests.Request
) -> dict[str, Any]:
    """`POST /pipelines/create`: `{pipeline, pipeline_version}` in one call."""
    caller = ctx.caller(request)
    data = await contexts.body(request)
    pipeline_data, version_data = data.get("pipeline"), data.get("pipeline_version")
    if not isinstance(pipeline_data, dict):
        raise errors.InvalidArgument("pipeline: required object")
    if not isinstance(version_data, dict):
        raise errors.InvalidArgument("pipeline_version: required object")
    body = _pipeline_body(ctx, pipeline_data, "pipeline.")
    version = _version_body(version_data, "pipeline_version.", body["metadata"]["name"])
    created, _ = await create_with_version(ctx, caller, body, version)
    return message(created)


def _page(ctx: contexts.Context, request: requests.Request) -> listing.Query:
    return listing.query(
        request.query_params,
        default_size=ctx.settings.page_size,
        max_size=ctx.settings.max_page_size,
    )


async def list_(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    q = _page(ctx, request)
    namespace = ctx.namespace(request.query_params.get("namespace"))
    try:
        found = await caller.client.list(kinds.PIPELINES, namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"pipelines in {namespace!r}") from exc
    page = listing.page(
        [message(ctx.finder.remember(p)) for p in found.items], q, id_key="pipeline_id"
    )
    return {
        "pipelines": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


async def get(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    return message(await get_object(ctx, caller, request.path_params["pipeline_id"]))


async def get_by_name(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    name = request.path_params["name"]
    namespace = ctx.namespace(request.query_params.get("namespace"))
    try:
        found = await caller.client.get(
            kinds.PIPELINES, metas.object_name(name), namespace=namespace
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"pipeline {name!r}") from exc
    return message(ctx.finder.remember(found))


async def delete(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    pipeline = await get_object(ctx, caller, request.path_params["pipeline_id"])
    versions = await versions_of(caller, pipeline)
    cascade = (request.query_params.get("cascade") or "").lower() == "true"
    if versions and not cascade:
        raise errors.FailedPrecondition(
            f"pipeline {objects.uid_of(pipeline)} has {len(versions)} version(s): delete them "
            "first or pass cascade=true"
        )
    namespace = objects.namespace_of(pipeline)
    try:
        for version in versions:
            await caller.client.delete(
                kinds.PIPELINEVERSIONS, objects.name_of(version), namespace=namespace
            )
            ctx.finder.forget(objects.uid_of(version))
        await caller.client.delete(kinds.PIPELINES, objects.name_of(pipeline), namespace=namespace)
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"pipeline {objects.name_of(pipeline)!r}") from exc
    ctx.finder.forget(objects.uid_of(pipeline))
    return {}


async def create_version(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    pipeline = await get_object(ctx, caller, request.path_params["pipeline_id"])
    data = await contexts.body(request)
    version = _version_body(data, "", "")
    if not version["display_name"]:
        raise errors.InvalidArgument("display_name: the pipeline version needs a name")
    created = await _create(
        caller,
        kinds.PIPELINEVERSIONS,
        version_manifest(pipeline, **version),
        f"pipeline version {version['display_name']!r}",
    )
    return version_message(ctx.finder.remember(created), objects.uid_of(pipeline))


async def list_versions(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller = ctx.caller(request)
    q = _page(ctx, request)
    pipeline = await get_object(ctx, caller, request.path_params["pipeline_id"])
    uid = objects.uid_of(pipeline)
    messages = [
        version_message(ctx.finder.remember(v), uid) for v in await versions_of(caller, pipeline)
    ]
    page = listing.page(messages, q, id_key="pipeline_version_id")
    return {
        "pipeline_versions": page.items,
        "total_size": page.total_size,
        "next_page_token": page.next_page_token,
    }


async def _version_of_path(
    ctx: contexts.Context, request: requests.Request
) -> tuple[contexts.Caller, Object, str]:
    caller = ctx.caller(request)
    version, pipeline_id = await version_object(
        ctx, caller, request.path_params["pipeline_version_id"]
    )
    if pipeline_id != request.path_params["pipeline_id"]:
        raise errors.NotFound(
            f"pipeline version {objects.uid_of(version)} is not a version of pipeline "
            f"{request.path_params['pipeline_id']}"
        )
    return caller, version, pipeline_id


async def get_version(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    _, version, pipeline_id = await _version_of_path(ctx, request)
    return version_message(version, pipeline_id)


async def delete_version(ctx: contexts.Context, request: requests.Request) -> dict[str, Any]:
    caller, version, _ = await _version_of_path(ctx, request)
    try:
        await caller.client.delete(
            kinds.PIPELINEVERSIONS,
            objects.name_of(version),
            namespace=objects.namespace_of(version),
        )
    except kube_errors.ApiError as exc:
        raise errors.from_kube(exc, f"pipeline version {objects.name_of(version)!r}") from exc
    ctx.finder.forget(objects.uid_of(version))
    return {}


def routes(ctx: contexts.Context) -> list[routing.BaseRoute]:
    one = PATH + "/{pipeline_id}"
    versions = one + "/versions"
    return [
        responding.route(ctx, PATH + "/upload", upload, "POST"),
        responding.route(ctx, PATH + "/upload_version", upload_version, "POST"),
        responding.route(ctx, PATH + "/create", create_with_first_version, "POST"),
        responding.route(ctx, PATH + "/names/{name}", get_by_name, "GET"),
        responding.route(ctx, PATH, create, "POST"),
        responding.route(ctx, PATH, list_, "GET"),
        responding.route(ctx, versions, create_version, "POST"),
        responding.route(ctx, versions, list_versions, "GET"),
        responding.route(ctx, versions + "/{pipeline_version_id}", get_version, "GET"),
        responding.route(ctx, versions + "/{pipeline_version_id}", delete_version, "DELETE"),
        responding.route(ctx, one, get, "GET"),
        responding.route(ctx, one, delete, "DELETE"),
    ]
