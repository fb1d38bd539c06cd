"""`<workload>/<name>/scale`: an autoscaling/v1 Scale view of a kind's replicas.

Deployments, StatefulSets and CRDs that declare the subresource (their own
`specReplicasPath`/`statusReplicasPath`/`labelSelectorPath`). A write is a
write of the Scale: the handler's `Updater` (a PUT body or a patch) runs on
the Scale made from the stored object, and the replicas it asks for go into
the object through the kind's own generic store (`stores.Store`), so the
object's strategy, dry-run and admission apply as for any spec write.
"""

from __future__ import annotations

from typing import Any

from jsonpath_ng.ext.parser import parse as jsonpath_parse

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors, rest, stores
from pinnace.kits import selectors
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.kits.kube.resources import ResourceType

VIEW = ResourceInfo(ResourceType("autoscaling", "v1", "scale", "Scale"), "scale")
"""The kind of a /scale body: strategic merge patches of it are plain merge patches."""


def _paths(info: ResourceInfo) -> tuple[str, str, str | None]:
    if info.scale is not None:
        return info.scale.spec_replicas, info.scale.status_replicas, info.scale.label_selector
    return ".spec.replicas", ".status.replicas", None


def _read(obj: Object, path: str) -> Any:
    found = jsonpath_parse("$" + path).find(obj)
    return found[0].value if found else None


def scale_of(info: ResourceInfo, obj: Object) -> Object:
    spec_path, status_path, selector_path = _paths(info)
    meta = obj["metadata"]
    selector = ""
    if selector_path:
        selector = str(_read(obj, selector_path) or "")
    elif isinstance((obj.get("spec") or {}).get("selector"), dict):
        selector = selectors.label_selector_string(obj["spec"]["selector"])
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": int(_read(obj, spec_path) or 0)},
        "status": {"replicas": int(_read(obj, status_path) or 0), "selector": selector},
    }


class ScaleStorage(rest.Storage):
    def __init__(self, main: stores.Store) -> None:
        self.main = main
        self.info = main.info
        self.view = VIEW

    async def get(self, namespace: str, name: str, query: dict[str, str]) -> Object:
        return scale_of(self.info, self.main.existing(namespace, name))

    async def update(
        self,
        namespace: str,
        name: str,
        updater: rest.Updater,
        options: rest.Options,
        *,
        allow_create: bool = False,
    ) -> tuple[Object, bool]:
        info = self.info

        def rescale(old: Object | None) -> Object:
            if old is None:  # pragma: no cover - allow_create is never passed on
                raise errors.NotFound.of(
                    info.resource.group_resource, name, info.group, info.plural
                )
            scale = updater(scale_of(info, old))
            replicas = _replicas(scale, name)
            sent_rv = (scale.get("metadata") or {}).get("resourceVersion")
            if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                raise errors.Conflict.stale(
                    info.resource.group_resource, old["metadata"]["name"], info.group, info.plural
                )
            new = objects.clone(old)
            jsonpath_parse("$" + _paths(info)[0]).update_or_create(new, replicas)
            return new

        obj, _ = await self.main.update(namespace, name, rescale, options)
        return scale_of(info, obj), False


def _replicas(scale: Any, name: str) -> int:
    if not isinstance(scale, dict):
        raise errors.BadRequest("the body must be a Scale object")
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise errors.Invalid.of(
            "Scale",
            name,
            "autoscaling",
            [
                errors.cause(
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            ],
        )
    return replicas
