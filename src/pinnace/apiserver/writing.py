"""Writes: create (POST), update (PUT) and patch (PATCH) of objects and their status.

Every write goes through the same steps: decode or patch, check identity
(kind, namespace, name, resourceVersion), apply the subresource rule (a main
write keeps the stored status, a status write keeps everything else),
`admission` (unknown fields, defaults, validation, per-kind hooks), the
managedFields of the write (`ownership`), then the store. A server-side apply
PATCH is merged by `ownership`/`applying` first and then stored the same way
(created when the object does not exist). A write that changes nothing is
answered without touching the store, so it bumps no resourceVersion and emits
no watch event.
"""

from __future__ import annotations

from typing import Any

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import (
    admission,
    encoding,
    errors,
    metadata,
    ownership,
    patching,
    registry,
    resolving,
    subresources,
)
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object


def _check_identity(info: ResourceInfo, obj: Object, req: Request) -> None:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version not in (None, "", info.api_version):
        group, _, _ = str(api_version).rpartition("/")
        if group != info.group:
            raise errors.BadRequest(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({info.api_version})"
            )
    if kind not in (None, "", info.kind):
        raise errors.BadRequest(
            f"the kind in the data ({kind}) does not match the expected kind ({info.kind})"
        )
    obj["apiVersion"], obj["kind"] = info.api_version, info.kind
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise errors.BadRequest(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
            "metadata must be an object"
        )
    namespace = req.info.namespace
    if info.namespaced:
        body_ns = meta.get("namespace")
        if body_ns and namespace and body_ns != namespace:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        meta["namespace"] = namespace or body_ns or ""
    else:
        meta.pop("namespace", None)


async def create(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    if req.info.subresource:
        return await subresources.create(server, req, info)
    if info.namespaced and req.info.namespace is None:
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource"
        )
    obj = encoding.decode_object(req.body, req.headers.get("content-type"), kind=info.kind)
    _check_identity(info, obj, req)
    meta = obj["metadata"]
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = metadata.generate_name(str(meta["generateName"]))
    return await write_create(server, req, info, obj)


async def write_create(
    server: ApiServer, req: Request, info: ResourceInfo, obj: Object, *, applied: bool = False
) -> Reply:
    """Admit and store the new object `obj` (POST, and an apply that creates)."""
    meta = obj["metadata"]
    reply = Reply(201)
    fields = (ownership.managed_fields(obj) or []) if applied else None
    admission.admit_create(server, info, obj, req, reply)
    rkey = registry.storage_key(info)
    ns = meta.get("namespace", "")
    if server.store.get(rkey, ns, meta["name"]) is not None:
        raise errors.AlreadyExists.of(
            info.resource.group_resource, meta["name"], info.group, info.plural
        )
    _own(info, None, obj, req, server.now(), fields)
    metadata.init_on_create(obj, server.now())
    admission.on_store(server, info, obj, None)
    if not req.dry_run:
        await server.store.put(rkey, obj, None)
    reply.body = resolving.present(info, obj)
    return reply


def _own(
    info: ResourceInfo,
    old: Object | None,
    new: Object,
    req: Request,
    now: str,
    applied: list[Any] | None,
) -> None:
    """managedFields: those an apply computed, else tracked for this create or update."""
    if applied is None:
        ownership.track(info, old, new, req, now)
    elif applied:
        new["metadata"]["managedFields"] = applied
    else:
        new["metadata"].pop("managedFields", None)


async def update(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    sub = req.info.subresource
    if sub == "scale":
        return await subresources.scale_update(server, req, info)
    old = resolving.existing(server, req, info)
    obj = encoding.decode_object(req.body, req.headers.get("content-type"), kind=info.kind)
    _check_identity(info, obj, req)
    name = obj["metadata"].get("name")
    if name != req.info.name:
        raise errors.BadRequest(
            f"the name of the object ({name}) does not match the name on the URL ({req.info.name})"
        )
    if info.is_custom and not obj["metadata"].get("resourceVersion"):
        raise errors.Invalid.of(
            info.kind,
            str(name),
            info.group,
            [
                errors.cause(
                    "metadata.resourceVersion",
                    "Invalid value: 0x0: must be specified for an update",
                )
            ],
        )
    return await write_update(server, req, info, old, obj)


async def patch(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    if req.info.subresource == "scale":
        return await subresources.scale_patch(server, req, info)
    ownership.check_patch(req)
    if ownership.is_apply(req):
        return await _apply(server, req, info)
    old = resolving.existing(server, req, info)
    patched = patching.apply(info, old, req)
    if not isinstance(patched, dict):
        raise errors.BadRequest("the patched object is not a JSON object")
    patched.setdefault("metadata", {})
    patched["metadata"]["name"] = req.info.name
    _check_identity(info, patched, req)
    return await write_update(server, req, info, old, patched)


async def _apply(server: ApiServer, req: Request, info: ResourceInfo) -> Reply:
    """Server-side apply: update the object, or create it when it does not exist."""
    ns = req.info.namespace or ""
    live = server.store.get(registry.storage_key(info), ns, req.info.name or "")
    if live is None and req.info.subresource:
        raise errors.NotFound.of(
            info.resource.group_resource, req.info.name or "", info.group, info.plural
        )
    obj = ownership.apply(info, live, req, server.now())
    obj["metadata"]["name"] = req.info.name
    _check_identity(info, obj, req)
    if live is None:
        return await write_create(server, req, info, obj, applied=True)
    return await write_update(server, req, info, live, obj, applied=True)


async def write_update(
    server: ApiServer,
    req: Request,
    info: ResourceInfo,
    old: Object,
    new: Object,
    *,
    applied: bool = False,
) -> Reply:
    """Validate and store `new` as the next state of `old` (PUT, PATCH and subresources)."""
    sent_rv = new["metadata"].get("resourceVersion")
    if sent_rv and str(sent_rv) != old["metadata"]["resourceVersion"]:
        raise errors.Conflict.stale(
            info.resource.group_resource, old["metadata"]["name"], info.group, info.plural
        )
    fields = (ownership.managed_fields(new) or []) if applied else None
    sub = req.info.subresource
    if sub == "status":
        status = new.get("status")
        new = objects.clone(old)
        if status is None:
            new.pop("status", None)
        else:
            new["status"] = status
    elif sub == "finalize":
        finalizers = (new.get("spec") or {}).get("finalizers")
        new = objects.clone(old)
        new.setdefault("spec", {})["finalizers"] = finalizers or []
    elif sub is None and info.has_status:
        if "status" in old:
            new["status"] = objects.clone(old["status"])
        else:
            new.pop("status", None)
    elif sub is not None:
        raise errors.NotFound("the server could not find the requested resource")
    reply = Reply(200)
    metadata.carry_on_update(new, old)
    admission.admit_update(server, info, new, old, req, reply)
    _own(info, old, new, req, server.now(), fields)
    if metadata.same_content(new, old):
        reply.body = resolving.present(info, old)
        return reply
    rkey = registry.storage_key(info)
    if not req.dry_run:
        if admission.deletion_complete(new):
            await server.store.remove(rkey, new)
            admission.on_removed(server, info, new)
        else:
            admission.on_store(server, info, new, old)
            await server.store.put(rkey, new, old)
    reply.body = resolving.present(info, new)
    return reply
