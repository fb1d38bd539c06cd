"""Pods: defaults, validation, the initial status and graceful deletion (kube's pod strategy).

A new pod starts `Pending` with its QoS class; its spec is immutable but for
images, `activeDeadlineSeconds` and tolerations; a pod bound to a node is
deleted gracefully (the node agent stops its containers and finishes with
`gracePeriodSeconds=0`). The node is set only through `pods/binding`
(`binding.py`), the status through `pods/status`.
"""

from __future__ import annotations

from typing import Any

from pinnace.apiserver import errors, strategies
from pinnace.apiserver.kinds import podspecs
from pinnace.kits.kube.objects import Object

_MUTABLE = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def qos_class(pod: Object) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    resources = [c.get("resources") or {} for c in containers if isinstance(c, dict)]
    if not any(r.get("limits") or r.get("requests") for r in resources):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get(k)
        and (r.get("requests") or {}).get(k, (r.get("limits") or {})[k])
        == (r.get("limits") or {})[k]
        for r in resources
        for k in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


class PodStrategy(strategies.Strategy):
    split_status = True

    def initial_status(self, obj: Object) -> Object:
        return {"phase": "Pending", "qosClass": qos_class(obj)}

    def default(self, obj: Object) -> None:
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        podspecs.default(spec)
        spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("priority", 0)
        tolerations = spec.setdefault("tolerations", [])
        if isinstance(tolerations, list) and not tolerations:
            tolerations.extend(
                {
                    "key": f"node.kubernetes.io/{taint}",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
                for taint in ("not-ready", "unreachable")
            )

    def validate(self, obj: Object) -> strategies.Causes:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [podspecs.required("spec")]
        return podspecs.validate(spec, "spec")

    def validate_update(self, new: Object, old: Object) -> strategies.Causes:
        causes = self.validate(new)
        if not causes and _immutable(new.get("spec") or {}) != _immutable(old.get("spec") or {}):
            causes.append(errors.cause("spec", _MUTABLE, "FieldValueForbidden"))
        return causes

    def grace_period(self, obj: Object, options: dict[str, Any]) -> int:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        grace = options.get("gracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        return max(int(grace), 0)


def _immutable(spec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if k not in ("activeDeadlineSeconds", "tolerations")}
    for key in ("containers", "initContainers"):
        out[key] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(key) or []]
    return out


STRATEGY = PodStrategy()
