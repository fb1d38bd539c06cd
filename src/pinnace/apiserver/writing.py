"""Write handlers: create (POST), update (PUT) and patch (PATCH), for objects and subresources.

A handler only turns the HTTP request into a call on its path's storage
(`storages.lookup`): it decodes the body as the path's kind (`Storage.view`),
checks the body's identity against the URL (kind, namespace, name), and passes
the write on, with the request's options (dryRun, fieldValidation) in
`rest.Options`. For an update the storage gets an `Updater` that turns the
current object into the next one: the PUT body, or the PATCH applied to it
(`patching.apply`, where each patch type is one entry), or for a server-side
apply the configuration merged into it (`ownership.apply`, which may create).
Everything else —
strategy, admission, dry-run, the store, the watch — happens in the storage
(`stores.Store`). Warnings collected on the way become `Warning` headers.
"""

from __future__ import annotations

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import encoding, errors, ownership, patching, resolving, rest, storages
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object


def options(req: Request, *, applied: bool = False) -> rest.Options:
    return rest.Options(
        dry_run=req.dry_run,
        field_validation=req.field_validation,
        field_manager=ownership.manager(req, required=applied),
        applied=applied,
    )


def _reply(code: int, body: Object, opts: rest.Options) -> Reply:
    reply = Reply(code, body)
    for warning in opts.warnings:
        reply.warn(warning)
    return reply


def check_identity(info: ResourceInfo, obj: Object, req: Request) -> None:
    """The body's apiVersion, kind and namespace agree with the URL; fills them in."""
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


def _storage(server: ApiServer, req: Request) -> rest.Storage:
    return storages.lookup(server, resolving.resource(server, req), req.info.subresource)


async def create(server: ApiServer, req: Request) -> Reply:
    storage = _storage(server, req)
    info = storage.info
    if info.namespaced and req.info.namespace is None:
        raise rest.not_allowed()
    obj = encoding.decode_object(req.body, req.headers.get("content-type"), kind=storage.view.kind)
    if storage.view is info:
        check_identity(info, obj, req)
    opts = options(req)
    code, body = await storage.create(req.info.namespace or "", req.info.name, obj, opts)
    return _reply(code, resolving.present(storage.view, body), opts)


async def update(server: ApiServer, req: Request) -> Reply:
    storage = _storage(server, req)
    info = storage.view
    obj = encoding.decode_object(req.body, req.headers.get("content-type"), kind=info.kind)
    if storage.view is storage.info:
        check_identity(info, obj, req)
        name = obj["metadata"].get("name")
        if name != req.info.name:
            raise errors.BadRequest(
                f"the name of the object ({name}) does not match the name on the URL "
                f"({req.info.name})"
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
    return await _update(storage, req, lambda _current: obj)


async def patch(server: ApiServer, req: Request) -> Reply:
    storage = _storage(server, req)
    view = storage.view
    ownership.check_patch(req)
    if ownership.is_apply(req):
        return await _apply(server, req, storage)
    content_type = req.headers.get("content-type")

    def patched(current: Object | None) -> Object:
        if current is None:  # pragma: no cover - no patch type creates yet
            raise errors.NotFound("the server could not find the requested resource")
        result = patching.apply(view, current, content_type=content_type, body=req.body)
        if not isinstance(result, dict):
            raise errors.BadRequest("the patched object is not a JSON object")
        if storage.view is storage.info:
            result.setdefault("metadata", {})
            if not isinstance(result["metadata"], dict):
                raise errors.BadRequest("the patched object's metadata is not a JSON object")
            result["metadata"]["name"] = req.info.name
            check_identity(view, result, req)
        return result

    return await _update(storage, req, patched)


async def _apply(server: ApiServer, req: Request, storage: rest.Storage) -> Reply:
    """Server-side apply: the object path creates what does not exist, `/status` does not."""
    info = storage.info
    if storage.view is not info:
        raise errors.UnsupportedMedia(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(m for m in patching.PATCHERS)
        )

    def applied(current: Object | None) -> Object:
        obj = ownership.apply(info, current, req, server.now())
        obj["metadata"]["name"] = req.info.name
        check_identity(info, obj, req)
        return obj

    opts = options(req, applied=True)
    obj, created = await storage.update(
        req.info.namespace or "",
        req.info.name or "",
        applied,
        opts,
        allow_create=req.info.subresource is None,
    )
    return _reply(201 if created else 200, resolving.present(storage.view, obj), opts)


async def _update(storage: rest.Storage, req: Request, updater: rest.Updater) -> Reply:
    opts = options(req)
    obj, created = await storage.update(
        req.info.namespace or "", req.info.name or "", updater, opts
    )
    return _reply(201 if created else 200, resolving.present(storage.view, obj), opts)
