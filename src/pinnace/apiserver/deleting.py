"""Deletes: one object (DELETE) or a filtered collection (deletecollection).

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

import datetime as dt
from typing import Any

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import admission, encoding, errors, fields, reading, registry, resolving
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


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


def _check_preconditions(info: ResourceInfo, obj: Object, options: dict[str, Any]) -> None:
    pre = options.get("preconditions") or {}
    meta = obj["metadata"]
    if pre.get("uid") and pre["uid"] != meta.get("uid"):
        raise errors.Conflict(
            f'Operation cannot be fulfilled on {info.resource.group_resource} "{meta["name"]}": '
            f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta.get('uid')}"
        )
    if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
        raise errors.Conflict(
            f'Operation cannot be fulfilled on {info.resource.group_resource} "{meta["name"]}": '
            f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
            f"ResourceVersion in object meta: {meta.get('resourceVersion')}"
        )


def _pod_grace(obj: Object, options: dict[str, Any]) -> int:
    """Seconds of graceful deletion a pod gets (0: delete at once)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    grace = options.get("gracePeriodSeconds")
    if grace is None:
        grace = spec.get("terminationGracePeriodSeconds", 30)
    return max(int(grace), 0)


async def delete_object(
    server: ApiServer,
    info: ResourceInfo,
    obj: Object,
    options: dict[str, Any],
    *,
    dry_run: bool = False,
) -> tuple[int, Object]:
    """Delete or mark `obj`; returns the HTTP code (200 gone, 202 pending) and the object."""
    _check_preconditions(info, obj, options)
    rkey = registry.storage_key(info)
    new = objects.clone(obj)
    meta = new["metadata"]
    finalizers: list[str] = list(meta.get("finalizers") or [])
    policy = options.get("propagationPolicy")
    if policy == "Foreground" and FOREGROUND not in finalizers:
        finalizers.append(FOREGROUND)
    elif policy == "Orphan" and ORPHAN not in finalizers:
        finalizers.append(ORPHAN)
    grace = _pod_grace(obj, options) if (info.group, info.kind) == ("", "Pod") else 0
    now = server.clock.now()
    is_namespace = (info.group, info.kind) == ("", "Namespace")
    if meta.get("deletionTimestamp"):
        # Already being deleted: a pod's grace may only shorten; grace 0 finishes it.
        if (info.group, info.kind) == ("", "Pod"):
            current = int(meta.get("deletionGracePeriodSeconds") or 0)
            if grace < current:
                meta["deletionGracePeriodSeconds"] = grace
                meta["deletionTimestamp"] = clocks.rfc3339(now + dt.timedelta(seconds=grace))
        if finalizers != list(meta.get("finalizers") or []):
            meta["finalizers"] = finalizers
    elif finalizers or grace > 0 or is_namespace:
        meta["deletionTimestamp"] = clocks.rfc3339(now + dt.timedelta(seconds=grace))
        meta["deletionGracePeriodSeconds"] = grace
        if finalizers:
            meta["finalizers"] = finalizers
        if is_namespace:
            new.setdefault("status", {})["phase"] = "Terminating"
    if admission.deletion_complete(new) or not meta.get("deletionTimestamp"):
        if not dry_run:
            await server.store.remove(rkey, new)
            admission.on_removed(server, info, new)
        return 200, new
    if new != obj and not dry_run:
        await server.store.put(rkey, new, obj)
    return 202, new


async def delete(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    if req.info.subresource:
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource"
        )
    obj = resolving.existing(server, req, info)
    code, final = await delete_object(server, info, obj, _options(req), dry_run=req.dry_run)
    return Reply(code, resolving.present(info, final))


async def delete_collection(server: ApiServer, req: Request) -> Reply:
    info = resolving.resource(server, req)
    options = _options(req)
    labels = reading.label_selector(req)
    field_selector = fields.parse(info, req.query.get("fieldSelector"))
    rkey = registry.storage_key(info)
    deleted = []
    for obj in server.store.objects(rkey, req.info.namespace):
        if labels.matches(obj["metadata"].get("labels") or {}) and field_selector.matches(
            fields.field_values(info, obj)
        ):
            _, final = await delete_object(server, info, obj, options, dry_run=req.dry_run)
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
