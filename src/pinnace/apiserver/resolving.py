"""Resolving a request to its kind, and presenting objects back in the requested version.

Shared by every verb handler: an unknown kind or subresource is kube's plain
404 ("the server could not find the requested resource"; the pod subresources
we do not serve, a 405 saying so), and an object stored under another version
of its kind is answered with the requested `apiVersion`. Reaching the objects
is the path's storage's job (`storages.lookup`).
"""

from __future__ import annotations

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors
from pinnace.apiserver.messages import Request
from pinnace.apiserver.server import ApiServer
from pinnace.kits.kube.objects import Object

NOT_FOUND = "the server could not find the requested resource"
NOT_SERVED = frozenset({"exec", "attach", "portforward"})
"""Pod subresources kube-apiserver serves and we do not: a clear 405 instead of a 404."""


def resource(server: ApiServer, req: Request) -> ResourceInfo:
    ri = req.info
    info = server.registry.lookup(ri.group, ri.version, ri.plural)
    if info is None:
        raise errors.NotFound(NOT_FOUND, details={})
    if not info.namespaced and ri.namespace is not None:
        raise errors.NotFound(NOT_FOUND, details={})
    if ri.subresource and info.subresource(ri.subresource) is None:
        if (info.group, info.plural) == ("", "pods") and ri.subresource in NOT_SERVED:
            raise errors.MethodNotAllowed(
                f"pods/{ri.subresource} is not served by this API server: pinnace runs pods "
                "as local processes and does not support exec, attach or port-forward yet",
                details={"name": ri.name or "", "kind": "pods"},
            )
        raise errors.NotFound(NOT_FOUND, details={})
    if ri.verb not in info.verbs and not ri.subresource:
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource"
        )
    return info


def present(info: ResourceInfo, obj: Object) -> Object:
    """The object as `info`'s version shows it (a shallow copy only when the version differs)."""
    if obj.get("apiVersion") == info.api_version:
        return obj
    return {**obj, "apiVersion": info.api_version}
