"""Admission: the cluster-wide checks a write passes after its kind's own validation.

`stores.Store` calls `admit` on every create and update, dry runs included,
once the strategy has defaulted and validated the object and before it is
stored. What is here is kube-apiserver's admission chain as far as we serve
it: NamespaceLifecycle (content goes only into a namespace that exists and is
not terminating), the validators the composition root registered per kind
(kube's validating admission: `Validator`s keyed by group and kind, passed to
`ApiServer(validators=...)`; the pipelines package checks a PipelineRun's IR
here, so a bad run is a 422 and nothing is stored) and the storage limit on
one object's size. A kind without a validator pays one dict lookup.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object

Validator = Callable[[Object, Object | None], list[errors.Cause]]
"""`validate(new, old)` (old is None on create): the causes that refuse the write, or none.

Called on creates and on updates that change `spec` (a status write or a label
change of an object admitted before is never refused). Each cause is
`{"reason", "message", "field"}`, as kube's `field.Error`s become causes.
"""

GroupKind = tuple[str, str]


def admit(server: ApiServer, info: ResourceInfo, obj: Object, old: Object | None) -> None:
    if old is None:
        _namespace_lifecycle(server, info, obj)
    if server.validators:
        _validate(server, info, obj, old)
    _object_size(server, obj)


def _validate(server: ApiServer, info: ResourceInfo, obj: Object, old: Object | None) -> None:
    validator = server.validators.get((info.group, info.kind))
    if validator is None or (old is not None and old.get("spec") == obj.get("spec")):
        return
    causes = validator(obj, old)
    if causes:
        name = str(obj["metadata"].get("name") or "")
        raise errors.Invalid.of(info.kind, name, info.group, causes)


def _namespace_lifecycle(server: ApiServer, info: ResourceInfo, obj: Object) -> None:
    if not info.namespaced:
        return
    ns = obj["metadata"].get("namespace", "")
    namespace = server.store.get("/namespaces", "", ns)
    if namespace is None:
        raise errors.NotFound.of("namespaces", ns, "", "namespaces")
    if namespace["metadata"].get("deletionTimestamp"):
        name = str(obj["metadata"].get("name") or "")
        raise errors.Forbidden(
            f'{info.plural}{"." + info.group if info.group else ""} "{name}" is forbidden: '
            f"unable to create new content in namespace {ns} because it is being terminated",
            details={
                "name": name,
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


def _object_size(server: ApiServer, obj: Object) -> None:
    limit = server.settings.max_object_bytes
    if len(orjson.dumps(obj)) > limit:
        raise errors.RequestTooLarge(f"Request entity too large: limit is {limit}")
