"""One storage per path: `pods`, `pods/status`, `pods/binding`, `deployments/scale`, …

`lookup(server, info, subresource)` is how every verb handler reaches a kind:
the object path and `/status` and `/finalize` are the generic store
(`stores.Store`) with the kind's strategy (`kinds.strategy`), or its status or
finalize variant; `/scale`, `pods/binding` and `pods/log` are storages of their
own over the kind's generic store. Storages are cheap and built per request
from the registry's current `ResourceInfo`, so a CRD change is seen at once.
"""

from __future__ import annotations

from pinnace.api import builtins
from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import binding, errors, kinds, logs, rest, scaling, stores, strategies
from pinnace.apiserver.kinds import namespaces, pods
from pinnace.apiserver.server import ApiServer

NOT_FOUND = "the server could not find the requested resource"


def objects(server: ApiServer, info: ResourceInfo) -> stores.Store:
    """The generic store of `info`'s objects themselves."""
    return stores.Store(server, info, kinds.strategy(info), kinds.hooks(info))


def lookup(server: ApiServer, info: ResourceInfo, subresource: str | None) -> rest.Storage:
    """The storage of `info`'s path, or of one of its subresources."""
    if subresource is None:
        if (info.group, info.kind) == ("", "Binding"):  # the legacy `bindings` collection
            return _binding(server, info)
        return objects(server, info)
    strategy = kinds.strategy(info)
    hooks = kinds.hooks(info)
    if info.subresource(subresource) is None:
        raise errors.NotFound(NOT_FOUND, details={})
    if subresource == "status":
        return stores.Store(
            server, info, strategies.StatusStrategy(strategy), hooks, subresource="status"
        )
    if subresource == "finalize" and (info.group, info.kind) == ("", "Namespace"):
        return stores.Store(server, info, namespaces.FINALIZE, hooks, subresource="finalize")
    if subresource == "scale":
        return scaling.ScaleStorage(objects(server, info))
    if (info.group, info.kind) == ("", "Pod"):
        if subresource == "binding":
            return _binding(server, info)
        if subresource == "log":
            return logs.LogStorage(stores.Store(server, info, strategy))
    raise errors.NotFound(NOT_FOUND, details={})


def _binding(server: ApiServer, info: ResourceInfo) -> binding.BindingStorage:
    """`pods/<name>/binding`, or `bindings` (the Binding names its pod), over the pods' store."""
    pod_info = info if info.kind == "Pod" else builtins.PODS
    trusted = stores.Store(server, pod_info, strategies.TrustedStrategy(pods.STRATEGY))
    return binding.BindingStorage(trusted, builtins.BINDINGS)
