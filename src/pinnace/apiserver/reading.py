"""Read handlers: get one object or subresource (through its path's storage) and list a collection.

Lists are served from memory in etcd's key order (namespace, then name).
`limit`/`continue` page through that order; a continue token carries the
last key served, so later pages show the current state after it (kube
serves a snapshot instead; documented in docs/design/apiserver.md).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import encoding, errors, fields, registry, resolving, rest, storages, tables
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits import selectors
from pinnace.kits.kube.objects import Object


def label_selector(req: Request) -> selectors.LabelSelector:
    try:
        return selectors.parse_labels(req.query.get("labelSelector"))
    except selectors.SelectorError as exc:
        raise errors.BadRequest(str(exc)) from exc


def matcher(info: ResourceInfo, req: Request) -> Any:
    """A predicate over objects for the request's label and field selectors."""
    labels = label_selector(req)
    field_sel = fields.parse(info, req.query.get("fieldSelector"))
    if labels.empty and field_sel.empty:
        return lambda obj: True

    def matches(obj: Object) -> bool:
        if not labels.matches((obj.get("metadata") or {}).get("labels") or {}):
            return False
        return field_sel.empty or field_sel.matches(fields.field_values(info, obj))

    return matches


def include_object(req: Request) -> str:
    """`includeObject` of a Table request: kubectl asks for whole objects to sort them."""
    value = req.query.get("includeObject", "Metadata")
    if value not in ("None", "Metadata", "Object"):
        raise errors.BadRequest(f'includeObject: Unsupported value: "{value}"')
    return value


async def get(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    sub = req.info.subresource
    storage = storages.lookup(server, info, sub)
    found = await storage.get(req.info.namespace or "", req.info.name or "", req.query)
    if isinstance(found, rest.Stream):
        return Reply(200, stream=found.chunks, content_type=found.content_type)
    obj = resolving.present(storage.view, found)
    if sub in (None, "status") and encoding.wants_table(req.headers.get("accept")):
        table = tables.table(
            info,
            [obj],
            now=server.clock.now(),
            resource_version=obj["metadata"]["resourceVersion"],
            include_object=include_object(req),
        )
        return Reply(200, table)
    return Reply(200, obj)


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["ns"]), str(data["name"])
    except (ValueError, KeyError, TypeError) as exc:
        raise errors.BadRequest(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from exc


def _encode_continue(obj: Object) -> str:
    meta = obj["metadata"]
    data = {"ns": meta.get("namespace", ""), "name": meta["name"]}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode()


async def list_(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    matches = matcher(info, req)
    items = [
        o
        for o in server.store.objects(registry.storage_key(info), req.info.namespace)
        if matches(o)
    ]
    token = req.query.get("continue")
    if token:
        after = _decode_continue(token)
        items = [
            o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after
        ]
    list_meta: dict[str, Any] = {"resourceVersion": str(server.store.resource_version)}
    try:
        limit = int(req.query.get("limit") or 0)
    except ValueError as exc:
        raise errors.BadRequest("limit must be an integer") from exc
    if limit > 0 and len(items) > limit:
        list_meta["continue"] = _encode_continue(items[limit - 1])
        list_meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    items = [resolving.present(info, o) for o in items]
    if encoding.wants_table(req.headers.get("accept")):
        table = tables.table(
            info,
            items,
            now=server.clock.now(),
            resource_version=list_meta["resourceVersion"],
            continue_token=list_meta.get("continue", ""),
            include_object=include_object(req),
        )
        return Reply(200, table)
    return Reply(
        200,
        {
            "kind": f"{info.kind}List",
            "apiVersion": info.api_version,
            "metadata": list_meta,
            "items": items,
        },
    )
