"""Admission: what every create and update passes before it is stored.

In order: unknown fields (per `fieldValidation`: Strict → 400, Warn → a
Warning header, Ignore), pruning of unknown fields for custom resources,
defaults (built-in defaulters or the CRD schema's `default`s), validation
(names, labels, the schema, `checks` for built-ins) → 422 naming each field,
then the namespace rules (it must exist and not be terminating). The
per-kind hooks (`on_store`, `on_removed`) keep the registry in step with
CRDs and allocate Service cluster IPs.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import logging
from typing import Any

import orjson

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import checks, defaulting, errors, metadata, registry, validating
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

CRD_GROUP = "apiextensions.k8s.io"


def _schema(
    server: ApiServer, info: ResourceInfo, obj: Object, req: Request, reply: Reply
) -> Object:
    """Unknown-field handling and pruning; returns the object to go on with."""
    result = validating.validate_object(info, obj)
    if result.unknown:
        mode = req.field_validation
        if mode == "Strict":
            raise errors.BadRequest(
                f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                + validating.strict_message(result.unknown)
            )
        if mode == "Warn":
            for field in result.unknown:
                reply.warn(validating.unknown_field_warning(field))
    if result.causes:
        raise errors.Invalid.of(
            info.kind, _name(obj), info.group, [c.as_dict() for c in result.causes]
        )
    return result.obj


def _name(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _reset_status_on_create(info: ResourceInfo, obj: Object) -> None:
    if not info.has_status:
        return
    obj.pop("status", None)
    if (info.group, info.kind) == ("", "Pod"):
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj)}
    elif (info.group, info.kind) == ("", "Namespace"):
        obj["status"] = {"phase": "Active"}
    elif (info.group, info.kind) == ("", "PersistentVolumeClaim"):
        obj["status"] = {"phase": "Pending"}


def _qos_class(pod: Object) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    resources = [c.get("resources") or {} for c in containers if isinstance(c, dict)]
    if not any(r.get("limits") or r.get("requests") for r in resources):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get(k)
        and (r.get("requests") or {}).get(k, (r.get("limits") or {})[k])
        == (r.get("limits") or {})[k]
        for r in resources
        for k in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _validate(info: ResourceInfo, obj: Object, old: Object | None) -> None:
    causes: list[errors.Cause] = []
    if old is None:
        causes += metadata.name_causes(info.kind, _name(obj))
    causes += metadata.metadata_causes(obj)
    if not info.is_custom:
        causes += checks.validate(info.group, info.kind, obj, old)
    if causes:
        raise errors.Invalid.of(info.kind, _name(obj), info.group, causes)


def _check_size(server: ApiServer, obj: Object) -> None:
    size = len(orjson.dumps(obj))
    if size > server.settings.max_object_bytes:
        raise errors.RequestTooLarge(
            f"Request entity too large: limit is {server.settings.max_object_bytes}"
        )


def _check_namespace(server: ApiServer, info: ResourceInfo, obj: Object) -> None:
    if not info.namespaced:
        return
    ns = obj["metadata"].get("namespace", "")
    namespace = server.store.get("/namespaces", "", ns)
    if namespace is None:
        raise errors.NotFound.of("namespaces", ns, "", "namespaces")
    if namespace["metadata"].get("deletionTimestamp"):
        raise errors.Forbidden(
            f'{info.plural}{"." + info.group if info.group else ""} "{_name(obj)}" is forbidden: '
            f"unable to create new content in namespace {ns} because it is being terminated",
            details={
                "name": _name(obj),
                "kind": info.plural,
                "causes": [
                    {
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {ns} is being terminated",
                        "field": "metadata.namespace",
                    }
                ],
            },
        )


def admit_create(
    server: ApiServer, info: ResourceInfo, obj: Object, req: Request, reply: Reply
) -> None:
    if not _name(obj):
        raise errors.Invalid.of(
            info.kind,
            "",
            info.group,
            [
                errors.cause(
                    "metadata.name",
                    "Required value: name or generateName is required",
                    "FieldValueRequired",
                )
            ],
        )
    _reset_status_on_create(info, obj)
    cleaned = _schema(server, info, obj, req, reply)
    if cleaned is not obj:
        obj.clear()
        obj.update(cleaned)
    if not info.is_custom:
        defaulting.apply(info.group, info.kind, obj)
    _validate(info, obj, None)
    _check_namespace(server, info, obj)
    _check_size(server, obj)


def admit_update(
    server: ApiServer, info: ResourceInfo, new: Object, old: Object, req: Request, reply: Reply
) -> None:
    cleaned = _schema(server, info, new, req, reply)
    if cleaned is not new:
        new.clear()
        new.update(cleaned)
    if not info.is_custom:
        defaulting.apply(info.group, info.kind, new)
    if old["metadata"].get("deletionTimestamp"):
        added = set(new["metadata"].get("finalizers") or []) - set(
            old["metadata"].get("finalizers") or []
        )
        if added:
            raise errors.Invalid.of(
                info.kind,
                _name(new),
                info.group,
                [
                    errors.cause(
                        "metadata.finalizers",
                        "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers "
                        + str(sorted(added)),
                        "FieldValueForbidden",
                    )
                ],
            )
    _validate(info, new, old)
    _check_size(server, new)


def deletion_complete(obj: Object) -> bool:
    """Marked for deletion, with no finalizer (nor namespace finalizer) left and no grace pending."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    if int(meta.get("deletionGracePeriodSeconds") or 0) > 0:
        return False
    return not (obj.get("kind") == "Namespace" and (obj.get("spec") or {}).get("finalizers"))


# -- per-kind hooks ----------------------------------------------------------


def on_store(server: ApiServer, info: ResourceInfo, obj: Object, old: Object | None) -> None:
    """Server-side effects of a write about to be stored (sync, so the next request sees them)."""
    if (info.group, info.kind) == (CRD_GROUP, "CustomResourceDefinition"):
        _crd_status(obj)
        server.registry.register_crd(obj)
    elif (info.group, info.kind) == ("", "Service") and old is None:
        _allocate_cluster_ip(server, obj)


def on_removed(server: ApiServer, info: ResourceInfo, obj: Object) -> None:
    if (info.group, info.kind) == (CRD_GROUP, "CustomResourceDefinition"):
        name = obj["metadata"]["name"]
        infos = [i for i in server.registry.all() if i.crd_name == name]
        server.registry.unregister_crd(name)
        if infos:
            asyncio.get_running_loop().create_task(
                _delete_all(server, registry.storage_key(infos[0]))
            )


async def _delete_all(server: ApiServer, rkey: str) -> None:
    """A removed CRD takes its custom resources with it (kube's customresourcecleanup)."""
    for obj in server.store.objects(rkey):
        final = copy.deepcopy(obj)
        await server.store.remove(rkey, final)


def _crd_status(crd: Object) -> None:
    spec = crd.get("spec") or {}
    now = crd["metadata"].get("creationTimestamp")
    names: dict[str, Any] = copy.deepcopy(spec.get("names") or {})
    storage = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    status = crd.setdefault("status", {})
    status["acceptedNames"] = names
    stored = list(status.get("storedVersions") or [])
    for version in storage:
        if version not in stored:
            stored.append(version)
    status["storedVersions"] = stored
    status["conditions"] = [
        {
            "type": "NamesAccepted",
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
            "lastTransitionTime": now,
        },
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
            "lastTransitionTime": now,
        },
    ]


def _allocate_cluster_ip(server: ApiServer, svc: Object) -> None:
    spec = svc.setdefault("spec", {})
    if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
        if spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
        return
    if not spec.get("clusterIP"):
        used = {(s.get("spec") or {}).get("clusterIP") for s in server.store.objects("/services")}
        base = ipaddress.IPv4Address(f"{server.settings.service_cidr_prefix}.0.1")
        for offset in range(65534):
            candidate = str(base + offset)
            if candidate not in used:
                spec["clusterIP"] = candidate
                break
    spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
