"""A container's environment, resolved the way the kubelet does it.

`resolve` is called by `containers` just before a start: `envFrom` first
(ConfigMaps and Secrets, with `prefix`), then `env` in order, each value
`$(VAR)`-expanded against what is defined so far; `valueFrom` reads the pod
(`fieldRef`), the container's resources (`resourceFieldRef`) and, through the
API, ConfigMaps and Secrets (`configMapKeyRef`, `secretKeyRef`, `optional`).
A missing non-optional reference raises `ConfigError`; the container then
waits with reason CreateContainerConfigError and is retried.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object, meta, namespace_of
from pinnace.kits.kube.resources import ResourceType
from pinnace.runtime import expanding, quantities

Lookup = Callable[[ResourceType, str, str], Awaitable[Object | None]]
"""`lookup(kind, namespace, name)`: the object, or None when it does not exist."""

_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ConfigError(Exception):
    """A referenced ConfigMap, Secret or key is missing (CreateContainerConfigError)."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What `fieldRef` and `resourceFieldRef` can read besides the pod itself."""

    pod_ip: str
    host_ip: str
    allocatable: Mapping[str, str] = field(default_factory=dict)


def field_value(pod: Object, path: str, facts: Facts) -> str:
    """The downward-API value of `path` (fieldRef.fieldPath)."""
    m = meta(pod)
    sub = _SUBSCRIPT.match(path)
    if sub:
        return str((m.get(sub.group(1)) or {}).get(sub.group(2), ""))
    spec = pod.get("spec") or {}
    simple: dict[str, Any] = {
        "metadata.name": m.get("name"),
        "metadata.namespace": m.get("namespace"),
        "metadata.uid": m.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName") or "default",
        "status.podIP": facts.pod_ip,
        "status.podIPs": facts.pod_ip,
        "status.hostIP": facts.host_ip,
        "status.hostIPs": facts.host_ip,
    }
    if path in simple:
        return str(simple[path] or "")
    if path in ("metadata.labels", "metadata.annotations"):
        items = m.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    raise ConfigError(f"unsupported fieldRef fieldPath {path!r}")


def resource_value(pod: Object, container: Object, ref: Mapping[str, Any], facts: Facts) -> str:
    """A resourceFieldRef: the container's limit (node allocatable if unset) or request."""
    target = container
    if ref.get("containerName"):
        spec = pod.get("spec") or {}
        all_containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        found = [c for c in all_containers if c.get("name") == ref["containerName"]]
        if not found:
            raise ConfigError(f"resourceFieldRef: no container {ref['containerName']!r}")
        target = found[0]
    kind, _, resource = str(ref.get("resource") or "").partition(".")
    if kind not in ("limits", "requests") or not resource:
        raise ConfigError(f"unsupported resourceFieldRef resource {ref.get('resource')!r}")
    values = (target.get("resources") or {}).get(kind) or {}
    value = values.get(resource)
    if value is None:
        value = facts.allocatable.get(resource, "0") if kind == "limits" else "0"
    try:
        return str(quantities.divide_up(value, ref.get("divisor") or 1))
    except quantities.QuantityError as exc:
        raise ConfigError(f"resourceFieldRef {ref.get('resource')}: {exc}") from exc


def secret_strings(secret: Object) -> dict[str, str]:
    """A Secret's data, base64-decoded (stringData too, should a server keep it)."""
    out = {k: str(v) for k, v in (secret.get("stringData") or {}).items()}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value or "", validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError) as exc:
            raise ConfigError(f"secret key {key!r} is not valid base64") from exc
    return out


async def _source(
    lookup: Lookup, kind: ResourceType, namespace: str, name: str, optional: bool
) -> dict[str, str] | None:
    obj = await lookup(kind, namespace, name)
    if obj is None:
        if optional:
            return None
        raise ConfigError(f'{kind.kind.lower()} "{name}" not found')
    if kind is kinds.SECRETS:
        return secret_strings(obj)
    data = {k: str(v) for k, v in (obj.get("data") or {}).items()}
    for k, v in (obj.get("binaryData") or {}).items():
        data.setdefault(k, base64.b64decode(v).decode("utf-8", "replace"))
    return data


async def _key_ref(
    lookup: Lookup, kind: ResourceType, namespace: str, ref: Mapping[str, Any]
) -> str | None:
    optional = bool(ref.get("optional"))
    data = await _source(lookup, kind, namespace, str(ref.get("name") or ""), optional)
    if data is None:
        return None
    key = str(ref.get("key") or "")
    if key not in data:
        if optional:
            return None
        raise ConfigError(f"couldn't find key {key} in {kind.kind} {namespace}/{ref.get('name')}")
    return data[key]


async def resolve(
    pod: Object, container: Object, *, facts: Facts, lookup: Lookup, base: Mapping[str, str]
) -> dict[str, str]:
    """The container's environment: `base` (PATH, HOSTNAME, POD_IP...) overlaid by the spec."""
    namespace = namespace_of(pod)
    env = dict(base)
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        if "configMapRef" in source:
            ref, kind = source["configMapRef"], kinds.CONFIGMAPS
        elif "secretRef" in source:
            ref, kind = source["secretRef"], kinds.SECRETS
        else:
            continue
        data = await _source(
            lookup, kind, namespace, str(ref.get("name") or ""), bool(ref.get("optional"))
        )
        for key, text in (data or {}).items():
            if _ENV_NAME.match(prefix + key):  # the kubelet skips invalid names too
                env[prefix + key] = text
    for var in container.get("env") or []:
        name = str(var.get("name") or "")
        value_from = var.get("valueFrom")
        value: str | None
        if not value_from:
            value = expanding.expand(str(var.get("value") or ""), env)
        elif "fieldRef" in value_from:
            value = field_value(pod, str(value_from["fieldRef"].get("fieldPath") or ""), facts)
        elif "resourceFieldRef" in value_from:
            value = resource_value(pod, container, value_from["resourceFieldRef"], facts)
        elif "configMapKeyRef" in value_from:
            ref = value_from["configMapKeyRef"]
            value = await _key_ref(lookup, kinds.CONFIGMAPS, namespace, ref)
        elif "secretKeyRef" in value_from:
            value = await _key_ref(lookup, kinds.SECRETS, namespace, value_from["secretKeyRef"])
        else:
            raise ConfigError(f"env {name}: unsupported valueFrom {sorted(value_from)}")
        if value is not None:
            env[name] = value
    return env
