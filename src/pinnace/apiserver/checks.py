"""Semantic validation of built-in kinds beyond their schema (kube's `validation` package).

Each check returns causes with kube's field paths and wording; an empty list
means valid. Update checks compare with the stored object (immutable fields).
Only the rules that users and controllers actually hit are here: required
containers and images, unique names, selectors matching templates,
immutable selectors and pod specs, valid CRDs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pinnace.apiserver import errors, metadata
from pinnace.kits import selectors
from pinnace.kits.kube.objects import Object

Causes = list[errors.Cause]
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _required(field: str) -> errors.Cause:
    return errors.cause(field, "Required value", "FieldValueRequired")


def _containers(spec: dict[str, Any], path: str, claims: frozenset[str] = frozenset()) -> Causes:
    """Containers of a pod spec; `claims` are volume names a StatefulSet's claim templates add."""
    causes: Causes = []
    containers = spec.get("containers")
    if not containers:
        causes.append(_required(f"{path}.containers"))
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)} | claims
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            field = f"{path}.{key}[{i}]"
            if not isinstance(c, dict):
                causes.append(errors.cause(field, "Invalid value: must be an object"))
                continue
            name = c.get("name")
            if not name:
                causes.append(_required(f"{field}.name"))
            elif not _LABEL.match(str(name)) or len(str(name)) > 63:
                causes.append(
                    errors.cause(f"{field}.name", f'Invalid value: "{name}": {metadata.LABEL_MSG}')
                )
            elif name in seen:
                causes.append(
                    errors.cause(
                        f"{field}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate"
                    )
                )
            else:
                seen.add(str(name))
            if not c.get("image"):
                causes.append(_required(f"{field}.image"))
            for j, port in enumerate(c.get("ports") or []):
                number = port.get("containerPort") if isinstance(port, dict) else None
                if not isinstance(number, int) or not 0 < number < 65536:
                    causes.append(
                        errors.cause(
                            f"{field}.ports[{j}].containerPort",
                            f"Invalid value: {number}: must be between 1 and 65535, inclusive",
                        )
                    )
            for j, mount in enumerate(c.get("volumeMounts") or []):
                if isinstance(mount, dict) and mount.get("name") not in volumes:
                    causes.append(
                        errors.cause(
                            f"{field}.volumeMounts[{j}].name",
                            f'Not found: "{mount.get("name")}"',
                            "FieldValueNotFound",
                        )
                    )
    return causes


def _pod(new: Object, old: Object | None) -> Causes:
    spec = new.get("spec")
    if not isinstance(spec, dict):
        return [_required("spec")]
    causes = _containers(spec, "spec")
    if old is not None and not causes:
        causes += _pod_update(spec, old.get("spec") or {})
    return causes


_POD_MUTABLE = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def _pod_update(spec: dict[str, Any], old: dict[str, Any]) -> Causes:
    def strip(s: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in s.items() if k not in ("activeDeadlineSeconds", "tolerations")}
        for key in ("containers", "initContainers"):
            out[key] = [{k: v for k, v in c.items() if k != "image"} for c in s.get(key) or []]
        return out

    if strip(spec) != strip(old):
        return [errors.cause("spec", _POD_MUTABLE, "FieldValueForbidden")]
    return []


def _workload(new: Object, old: Object | None) -> Causes:
    spec = new.get("spec")
    if not isinstance(spec, dict):
        return [_required("spec")]
    causes: Causes = []
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(_required("spec.selector"))
    else:
        try:
            matches = selectors.from_label_selector(selector).matches(labels)
        except selectors.SelectorError as exc:
            causes.append(errors.cause("spec.selector", f"Invalid value: {exc}"))
        else:
            if not matches:
                causes.append(
                    errors.cause(
                        "spec.template.metadata.labels",
                        f"Invalid value: {_go_map(labels)}: `selector` does not match template "
                        "`labels`",
                    )
                )
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(
            errors.cause(
                "spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0"
            )
        )
    claims = frozenset(
        str((claim.get("metadata") or {}).get("name"))
        for claim in spec.get("volumeClaimTemplates") or []
        if isinstance(claim, dict)
    )
    if isinstance(template.get("spec"), dict):
        causes += _containers(template["spec"], "spec.template.spec", claims)
    else:
        causes.append(_required("spec.template.spec"))
    if old is not None and (old.get("spec") or {}).get("selector") != selector:
        causes.append(
            errors.cause(
                "spec.selector", f"Invalid value: {_go_selector(selector)}: field is immutable"
            )
        )
    return causes


def _go_map(labels: dict[str, Any]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def _go_selector(selector: Any) -> str:
    return (
        "v1.LabelSelector{MatchLabels:" + _go_map((selector or {}).get("matchLabels") or {}) + "}"
    )


def _service(new: Object, old: Object | None) -> Causes:
    spec = new.get("spec") or {}
    causes: Causes = []
    ports = spec.get("ports") or []
    if not ports and spec.get("clusterIP") != "None" and spec.get("type") != "ExternalName":
        causes.append(_required("spec.ports"))
    for i, port in enumerate(ports):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 0 < number < 65536:
            causes.append(
                errors.cause(
                    f"spec.ports[{i}].port",
                    f"Invalid value: {number}: must be between 1 and 65535, inclusive",
                )
            )
        if len(ports) > 1 and isinstance(port, dict) and not port.get("name"):
            causes.append(_required(f"spec.ports[{i}].name"))
    if old is not None:
        before = (old.get("spec") or {}).get("clusterIP")
        if before and spec.get("clusterIP") not in (None, "", before):
            causes.append(
                errors.cause(
                    "spec.clusterIPs[0]",
                    f'Invalid value: []string{{"{spec.get("clusterIP")}"}}: may not change once set',
                )
            )
    return causes


def _crd(new: Object, old: Object | None) -> Causes:
    spec = new.get("spec") or {}
    causes: Causes = []
    group = str(spec.get("group") or "")
    names = spec.get("names") or {}
    plural, kind = names.get("plural"), names.get("kind")
    if not group:
        causes.append(_required("spec.group"))
    elif "." not in group:
        causes.append(
            errors.cause(
                "spec.group", f'Invalid value: "{group}": should be a domain with at least one dot'
            )
        )
    if not plural:
        causes.append(_required("spec.names.plural"))
    if not kind:
        causes.append(_required("spec.names.kind"))
    expected = f"{plural}.{group}"
    if plural and group and new["metadata"].get("name") != expected:
        causes.append(
            errors.cause(
                "metadata.name",
                f'Invalid value: "{new["metadata"].get("name")}": must be spec.names.plural+"."+spec.group',
            )
        )
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            errors.cause(
                "spec.scope",
                f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
                "FieldValueNotSupported",
            )
        )
    versions = spec.get("versions") or []
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
    if old is not None:
        old_spec = old.get("spec") or {}
        if old_spec.get("scope") != spec.get("scope"):
            causes.append(errors.cause("spec.scope", "Invalid value: field is immutable"))
        if old_spec.get("group") != spec.get("group"):
            causes.append(errors.cause("spec.group", "Invalid value: field is immutable"))
    return causes


_CHECKS: dict[tuple[str, str], Callable[[Object, Object | None], Causes]] = {
    ("", "Pod"): _pod,
    ("apps", "Deployment"): _workload,
    ("apps", "StatefulSet"): _workload,
    ("", "Service"): _service,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
}


def validate(group: str, kind: str, new: Object, old: Object | None) -> Causes:
    check = _CHECKS.get((group, kind))
    return check(new, old) if check is not None else []
