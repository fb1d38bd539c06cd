"""The write path's side of field ownership: requests in, Status errors out.

The generic store (`stores`) calls `own` on every create and update once the
object is admitted (managedFields by `managing`); `writing` calls `manager` for
every write's options and `apply` for a PATCH with
`application/apply-patch+yaml` (the merge by `applying`). This module reads
what kube reads from the request — `?fieldManager=` (else the User-Agent's first
segment), `?force=`, the subresource — and words its errors as kube-apiserver:
a missing or bad field manager is a 422 on `PatchOptions.meta.k8s.io`, a
configuration of another kind a 400, conflicts a 409 with one
`FieldManagerConflict` cause per field.
"""

from __future__ import annotations

from typing import Any

import orjson

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import applying, encoding, errors, managing, rest, shapes
from pinnace.apiserver.messages import Request
from pinnace.kits.kube.objects import Object

_OPTIONS_KIND = "PatchOptions.meta.k8s.io"


def is_apply(req: Request) -> bool:
    return encoding.media_type(req.headers.get("content-type")) == encoding.APPLY_PATCH


def manager(req: Request, *, required: bool = False) -> str:
    """The request's field manager; raises Invalid when it is bad (or missing for apply)."""
    given = req.query.get("fieldManager")
    if given is None and not required:
        return managing.manager_name(None, req.headers.get("user-agent"))
    causes = [errors.cause("fieldManager", p) for p in managing.manager_problems(given or "")]
    if required and not given:
        causes.insert(
            0,
            errors.cause(
                "fieldManager", "Required value: is required for apply patch", "FieldValueRequired"
            ),
        )
    if causes:
        raise errors.Invalid(
            errors.Invalid.of(_OPTIONS_KIND, "", "", causes).message,
            details={"group": "meta.k8s.io", "kind": "PatchOptions", "causes": causes},
        )
    return managing.manager_name(given, req.headers.get("user-agent"))


def check_patch(req: Request) -> None:
    """`force` belongs to apply alone."""
    if "force" in req.query and not is_apply(req):
        cause = errors.cause(
            "force", "Forbidden: may not be specified for non-apply patch", "FieldValueForbidden"
        )
        raise errors.Invalid(
            errors.Invalid.of(_OPTIONS_KIND, "", "", [cause]).message,
            details={"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [cause]},
        )


def applied_fields(obj: Object, options: rest.Options) -> list[Any] | None:
    """An apply's managedFields (taken before a strategy resets the object), else None."""
    if not options.applied:
        return None
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def own(
    info: ResourceInfo,
    old: Object | None,
    new: Object,
    *,
    manager: str,
    subresource: str,
    now: str,
    applied: list[Any] | None,
) -> None:
    """Set `new`'s managedFields: an apply's (`applied`), else tracked for this create
    (`old` None) or update by `manager`."""
    if applied is not None:
        if applied:
            new["metadata"]["managedFields"] = applied
        else:
            new["metadata"].pop("managedFields", None)
        return
    managing.track(
        old,
        new,
        shape=shapes.root(info),
        definition=info.definition,
        api_version=info.api_version,
        manager=manager,
        now=now,
        subresource=subresource,
        has_status=info.has_status,
    )


def apply(info: ResourceInfo, live: Object | None, req: Request, now: str) -> Object:
    """The object an apply request makes of `live` (None: the object to create)."""
    who = manager(req, required=True)
    config = _decode(req.body, info.kind)
    if not isinstance(config, dict):
        raise errors.BadRequest(
            f"the object provided is unrecognized (must be of type {info.kind}): "
            f"cannot unmarshal {type(config).__name__} into Go value of type struct"
        )
    gvk = (config.get("apiVersion"), config.get("kind"))
    if gvk != (info.api_version, info.kind):
        raise errors.BadRequest(f"invalid object type: {_gvk(config)}")
    meta = config.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if (name or live is None) and name != req.info.name:
        raise errors.BadRequest(
            f"the name of the object ({name or ''}) does not match the name on the URL "
            f"({req.info.name})"
        )
    request = applying.Request(
        config=config,
        manager=who,
        api_version=info.api_version,
        force=req.info.flag("force"),
        subresource=req.info.subresource or "",
        has_status=info.has_status,
    )
    try:
        return applying.apply(live, request, shape=shapes.root(info), now=now)
    except applying.ApplyError as exc:
        raise errors.BadRequest(str(exc)) from exc
    except applying.Conflicts as exc:
        raise errors.Conflict(exc.message, details={"causes": exc.causes()}) from exc


def _decode(body: bytes, kind: str) -> Any:
    """kubectl sends its configuration as JSON under the YAML media type: read JSON
    natively (a CRD is hundreds of kilobytes), YAML otherwise."""
    if body.lstrip()[:1] == b"{":
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return encoding.decode(body, encoding.APPLY_PATCH, what=kind)


def _gvk(config: Object) -> str:
    api_version = str(config.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={config.get('kind') or ''}"
