"""Pod specs, wherever they appear: their defaults and their validation.

A Pod's `spec` and a workload's `spec.template.spec` are defaulted and checked
the same way (kube's `SetDefaults_PodSpec` and `ValidatePodSpec` for what users
and controllers meet: required containers and images, unique names, valid
ports, mounts that name a volume). `pods` and `workloads` call these.
"""

from __future__ import annotations

import re
from typing import Any

from pinnace.apiserver import errors, metadata

Causes = list[errors.Cause]
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def required(field: str) -> errors.Cause:
    return errors.cause(field, "Required value", "FieldValueRequired")


# -- defaults ------------------------------------------------------------------


def _probe(probe: dict[str, Any] | None) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe["httpGet"].setdefault("path", "/")


def _container(c: dict[str, Any]) -> None:
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    image = str(c.get("image") or "")
    tag = image.rsplit("/", 1)[-1]
    latest = "@" not in image and (":" not in tag or tag.endswith(":latest"))
    c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    c.setdefault("resources", {})
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(key))


def default(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _container(c)
    for volume in spec.get("volumes") or []:
        if isinstance(volume, dict):
            for source in ("configMap", "secret"):
                if isinstance(volume.get(source), dict):
                    volume[source].setdefault("defaultMode", 0o644)
            if "emptyDir" in volume and volume["emptyDir"] is None:
                volume["emptyDir"] = {}


# -- validation ----------------------------------------------------------------


def validate(spec: dict[str, Any], path: str, claims: frozenset[str] = frozenset()) -> Causes:
    """The containers of a pod spec; `claims` are volume names a StatefulSet's claim templates add."""
    causes: Causes = []
    containers = spec.get("containers")
    if not containers:
        causes.append(required(f"{path}.containers"))
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)} | claims
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            field = f"{path}.{key}[{i}]"
            if not isinstance(c, dict):
                causes.append(errors.cause(field, "Invalid value: must be an object"))
                continue
            causes += _container_causes(c, field, seen, volumes)
    return causes


def _container_causes(c: dict[str, Any], field: str, seen: set[str], volumes: set[Any]) -> Causes:
    causes: Causes = []
    name = c.get("name")
    if not name:
        causes.append(required(f"{field}.name"))
    elif not _LABEL.match(str(name)) or len(str(name)) > 63:
        causes.append(
            errors.cause(f"{field}.name", f'Invalid value: "{name}": {metadata.LABEL_MSG}')
        )
    elif name in seen:
        causes.append(
            errors.cause(f"{field}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate")
        )
    else:
        seen.add(str(name))
    if not c.get("image"):
        causes.append(required(f"{field}.image"))
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
