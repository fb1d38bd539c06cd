"""CustomResourceDefinitions: defaults, validation, status, and serving what they define.

A CRD is `Established` as soon as it is stored: its status is computed here
(accepted names, stored versions, conditions) and the `stored` hook registers
its kinds with the registry synchronously, so the next request can use them.
When a CRD is removed its custom resources go with it (kube's
customresourcecleanup), in the background.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from pinnace.apiserver import errors, registry, stores, strategies
from pinnace.apiserver.kinds import podspecs
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object

_required = podspecs.required


class CrdStrategy(strategies.Strategy):
    split_status = True

    def default(self, obj: Object) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("conversion", {"strategy": "None"})
        names = spec.get("names")
        if isinstance(names, dict) and names.get("kind"):
            names.setdefault("singular", str(names["kind"]).lower())
            names.setdefault("listKind", f"{names['kind']}List")

    def canonicalize(self, obj: Object) -> None:
        _status(obj)

    def validate(self, obj: Object) -> strategies.Causes:
        spec = obj.get("spec") or {}
        causes: strategies.Causes = []
        group = str(spec.get("group") or "")
        names = spec.get("names") or {}
        plural, kind = names.get("plural"), names.get("kind")
        if not group:
            causes.append(_required("spec.group"))
        elif "." not in group:
            causes.append(
                errors.cause(
                    "spec.group",
                    f'Invalid value: "{group}": should be a domain with at least one dot',
                )
            )
        if not plural:
            causes.append(_required("spec.names.plural"))
        if not kind:
            causes.append(_required("spec.names.kind"))
        expected = f"{plural}.{group}"
        if plural and group and obj["metadata"].get("name") != expected:
            causes.append(
                errors.cause(
                    "metadata.name",
                    f'Invalid value: "{obj["metadata"].get("name")}": must be '
                    'spec.names.plural+"."+spec.group',
                )
            )
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(
                errors.cause(
                    "spec.scope",
                    f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", '
                    '"Namespaced"',
                    "FieldValueNotSupported",
                )
            )
        causes += _versions(spec.get("versions") or [])
        return causes

    def validate_update(self, new: Object, old: Object) -> strategies.Causes:
        causes = self.validate(new)
        spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
        if old_spec.get("scope") != spec.get("scope"):
            causes.append(errors.cause("spec.scope", "Invalid value: field is immutable"))
        if old_spec.get("group") != spec.get("group"):
            causes.append(errors.cause("spec.group", "Invalid value: field is immutable"))
        return causes


def _versions(versions: list[Any]) -> strategies.Causes:
    causes: strategies.Causes = []
    if not versions:
        causes.append(_required("spec.versions"))
    storage = [v for v in versions if isinstance(v, dict) and v.get("storage")]
    if versions and len(storage) != 1:
        causes.append(
            errors.cause(
                "spec.versions",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    for i, version in enumerate(versions):
        if not isinstance(version, dict) or not version.get("name"):
            causes.append(_required(f"spec.versions[{i}].name"))
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            causes.append(_required(f"spec.versions[{i}].schema.openAPIV3Schema"))
    return causes


def _status(crd: Object) -> None:
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


STRATEGY = CrdStrategy()


def _stored(server: ApiServer, crd: Object) -> None:
    server.registry.register_crd(crd)


def _removed(server: ApiServer, crd: Object) -> None:
    name = crd["metadata"]["name"]
    served = [i for i in server.registry.all() if i.crd_name == name]
    server.registry.unregister_crd(name)
    if served:
        rkey = registry.storage_key(served[0])
        asyncio.get_running_loop().create_task(_delete_all(server, rkey))


async def _delete_all(server: ApiServer, rkey: str) -> None:
    """A removed CRD takes its custom resources with it (kube's customresourcecleanup)."""
    for obj in server.store.objects(rkey):
        await server.store.remove(rkey, copy.deepcopy(obj))


HOOKS = stores.Hooks(stored=_stored, removed=_removed)
