"""`Meta`: the part of `metadata` that every typed view carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pinnace.kits.kube.objects import Object


def _strings(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


@dataclass(frozen=True, slots=True)
class OwnerRef:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = False


@dataclass(frozen=True, slots=True)
class Meta:
    name: str
    namespace: str = ""
    uid: str = ""
    generation: int = 0
    resource_version: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    owners: tuple[OwnerRef, ...] = field(default=())
    finalizers: tuple[str, ...] = ()
    deleting: bool = False

    def label(self, key: str, default: str | None = None) -> str | None:
        return dict(self.labels).get(key, default)

    def annotation(self, key: str, default: str | None = None) -> str | None:
        return dict(self.annotations).get(key, default)

    @property
    def controller(self) -> OwnerRef | None:
        return next((o for o in self.owners if o.controller), None)

    @staticmethod
    def parse(obj: Object) -> Meta:
        m = obj.get("metadata")
        m = m if isinstance(m, dict) else {}
        return Meta(
            name=str(m.get("name") or ""),
            namespace=str(m.get("namespace") or ""),
            uid=str(m.get("uid") or ""),
            generation=int(m.get("generation") or 0),
            resource_version=str(m.get("resourceVersion") or ""),
            labels=_strings(m.get("labels")),
            annotations=_strings(m.get("annotations")),
            owners=tuple(
                OwnerRef(
                    str(r.get("apiVersion", "")),
                    str(r.get("kind", "")),
                    str(r.get("name", "")),
                    str(r.get("uid", "")),
                    bool(r.get("controller")),
                )
                for r in m.get("ownerReferences") or []
                if isinstance(r, dict)
            ),
            finalizers=tuple(str(f) for f in m.get("finalizers") or []),
            deleting=bool(m.get("deletionTimestamp")),
        )


def section(obj: Object, name: str) -> Object:
    """`obj[name]` when it is an object, else `{}` (the one `.get() or {}` of the views)."""
    value = obj.get(name)
    return value if isinstance(value, dict) else {}
