"""Field selectors: which fields each kind can be selected by, and their values.

Every kind supports `metadata.name` and `metadata.namespace`; the others are
the ones kube-apiserver registers (pods by node and phase, events by
involvedObject, …). Selecting by an unsupported field is a 400, as upstream.
"""

from __future__ import annotations

from collections.abc import Callable

from pinnace.api.infos import ResourceInfo
from pinnace.apiserver import errors
from pinnace.kits import selectors
from pinnace.kits.kube.objects import Object


def _get(obj: Object, *path: str) -> str:
    node: object = obj
    for part in path:
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def _getter(path: str) -> Callable[[Object], str]:
    parts = tuple(path.split("."))
    return lambda obj: _get(obj, *parts)


def _fields(*paths: str) -> dict[str, Callable[[Object], str]]:
    return {p: _getter(p) for p in paths}


_BY_KIND: dict[tuple[str, str], dict[str, Callable[[Object], str]]] = {
    ("", "pods"): _fields(
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    ("", "events"): _fields(
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "secrets"): _fields("type"),
    ("", "namespaces"): _fields("status.phase"),
    ("", "nodes"): _fields("spec.unschedulable"),
    ("", "persistentvolumeclaims"): _fields("status.phase"),
    ("apps", "statefulsets"): _fields("status.successful"),
}
_BY_KIND[("", "events")]["source"] = lambda o: _get(o, "source", "component")


def field_values(info: ResourceInfo, obj: Object) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    values = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
    }
    for name, getter in _BY_KIND.get((info.group, info.plural), {}).items():
        values[name] = getter(obj)
    return values


def parse(info: ResourceInfo, text: str | None) -> selectors.FieldSelector:
    try:
        selector = selectors.parse_fields(text)
    except selectors.SelectorError as exc:
        raise errors.BadRequest(str(exc)) from exc
    supported = {
        "metadata.name",
        "metadata.namespace",
        *_BY_KIND.get((info.group, info.plural), {}),
    }
    for requirement in selector.requirements:
        if requirement.field not in supported:
            raise errors.BadRequest(f"field label not supported: {requirement.field}")
    return selector
