"""Delete handlers: one object (DELETE) or a filtered collection (deletecollection).

The handler parses DeleteOptions (body and query) and calls the path's
storage; what a delete does is the generic store's (`stores.Store.delete_object`)
with the kind's strategy:

Deletion is immediate unless something must happen first:
- finalizers (including `foregroundDeletion` and `orphan`, which the
  `propagationPolicy` adds for the garbage collector): the object gets
  `deletionTimestamp` and stays until the last finalizer is removed;
- a pod bound to a node: graceful deletion. The pod gets `deletionTimestamp`
  and `deletionGracePeriodSeconds`; the node agent stops its containers and
  finishes with a DELETE with `gracePeriodSeconds=0`;
- a namespace: it turns Terminating and stays until the namespace controller
  has emptied it and cleared `spec.finalizers` (`namespaces/<n>/finalize`).
"""

from __future__ import annotations

from typing import Any

from pinnace.apiserver import (
    encoding,
    errors,
    fields,
    reading,
    resolving,
    storages,
    writing,
)
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer


def _options(req: Request) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if req.body.strip():
        body = encoding.decode(req.body, req.headers.get("content-type"), what="DeleteOptions")
        if not isinstance(body, dict):
            raise errors.BadRequest("DeleteOptions must be a JSON object")
        options.update(body)
    query = req.query
    if "propagationPolicy" in query:
        options["propagationPolicy"] = query["propagationPolicy"]
    if "gracePeriodSeconds" in query:
        try:
            options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
        except ValueError as exc:
            raise errors.BadRequest("gracePeriodSeconds must be an integer") from exc
    if query.get("orphanDependents") in ("true", "false") and "propagationPolicy" not in options:
        options["propagationPolicy"] = (
            "Orphan" if query["orphanDependents"] == "true" else "Background"
        )
    policy = options.get("propagationPolicy")
    if policy not in (None, "Foreground", "Background", "Orphan"):
        raise errors.Invalid.of(
            "DeleteOptions",
            "",
            "",
            [
                errors.cause(
                    "propagationPolicy",
                    f'Unsupported value: "{policy}": supported values: "Foreground", "Background", "Orphan", "nil"',
                    "FieldValueNotSupported",
                )
            ],
        )
    return options


async def delete(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    storage = storages.lookup(server, info, req.info.subresource)
    code, final = await storage.delete(
        req.info.namespace or "", req.info.name or "", _options(req), writing.options(req)
    )
    return Reply(code, resolving.present(info, final))


async def delete_collection(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    options = _options(req)
    labels = reading.label_selector(req)
    field_selector = fields.parse(info, req.query.get("fieldSelector"))
    store = storages.objects(server, info)
    opts = writing.options(req)
    deleted = []
    for obj in server.store.objects(store.rkey, req.info.namespace):
        if labels.matches(obj["metadata"].get("labels") or {}) and field_selector.matches(
            fields.field_values(info, obj)
        ):
            _, final = await store.delete_object(obj, options, opts)
            deleted.append(resolving.present(info, final))
    return Reply(
        200,
        {
            "kind": f"{info.kind}List",
            "apiVersion": info.api_version,
            "metadata": {"resourceVersion": str(server.store.resource_version)},
            "items": deleted,
        },
    )
