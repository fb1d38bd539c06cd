"""Admission: the cluster-wide checks a write passes after its kind's own validation.

`stores.Store` calls `admit` on every create and update, dry runs included,
once the strategy has defaulted and validated the object and before it is
stored. What is here is kube-apiserver's admission chain as far as we serve
it: NamespaceLifecycle (content goes only into a namespace that exists and is
not terminating) and the storage limit on one object's size.
"""

from __future__ import annotations

import orjson

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object


def admit(server: ApiServer, info: ResourceInfo, obj: Object, old: Object | None) -> None:
    if old is None:
        _namespace_lifecycle(server, info, obj)
    _object_size(server, obj)


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
