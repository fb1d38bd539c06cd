"""Deployments and StatefulSets: defaults and validation (kube's apps strategies).

Both need a selector that matches their pod template's labels (immutable
once set) and a valid pod template (`podspecs`); StatefulSet mounts may also
name its `volumeClaimTemplates`. `spec.serviceName` of a StatefulSet is
optional, as upstream. Their `/scale` is served by `scaling`.
"""

from __future__ import annotations

from typing import Any

from pinnace.apiserver import errors, strategies
from pinnace.apiserver.kinds import podspecs
from pinnace.kits import selectors
from pinnace.kits.kube.objects import Object


def _template(obj: Object) -> None:
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        podspecs.default(template["spec"])


def _go_map(labels: dict[str, Any]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def _go_selector(selector: Any) -> str:
    return (
        "v1.LabelSelector{MatchLabels:" + _go_map((selector or {}).get("matchLabels") or {}) + "}"
    )


class WorkloadStrategy(strategies.Strategy):
    split_status = True

    def initial_status(self, obj: Object) -> Object:
        return {}

    def validate(self, obj: Object) -> strategies.Causes:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [podspecs.required("spec")]
        causes: strategies.Causes = []
        selector = spec.get("selector")
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(podspecs.required("spec.selector"))
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
                            f"Invalid value: {_go_map(labels)}: `selector` does not match "
                            "template `labels`",
                        )
                    )
        replicas = spec.get("replicas")
        if isinstance(replicas, int) and replicas < 0:
            causes.append(
                errors.cause(
                    "spec.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            )
        claims = frozenset(
            str((claim.get("metadata") or {}).get("name"))
            for claim in spec.get("volumeClaimTemplates") or []
            if isinstance(claim, dict)
        )
        if isinstance(template.get("spec"), dict):
            causes += podspecs.validate(template["spec"], "spec.template.spec", claims)
        else:
            causes.append(podspecs.required("spec.template.spec"))
        return causes

    def validate_update(self, new: Object, old: Object) -> strategies.Causes:
        causes = self.validate(new)
        selector = (new.get("spec") or {}).get("selector")
        if (old.get("spec") or {}).get("selector") != selector:
            causes.append(
                errors.cause(
                    "spec.selector", f"Invalid value: {_go_selector(selector)}: field is immutable"
                )
            )
        return causes


class DeploymentStrategy(WorkloadStrategy):
    def default(self, obj: Object) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        _template(obj)


class StatefulSetStrategy(WorkloadStrategy):
    def initial_status(self, obj: Object) -> Object:
        # StatefulSetStatus.replicas and availableReplicas are not omitempty upstream.
        return {"replicas": 0, "availableReplicas": 0}

    def default(self, obj: Object) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {"partition": 0})
        spec.setdefault(
            "persistentVolumeClaimRetentionPolicy",
            {"whenDeleted": "Retain", "whenScaled": "Retain"},
        )
        for claim in spec.get("volumeClaimTemplates") or []:
            if isinstance(claim, dict):
                claim.setdefault("apiVersion", "v1")
                claim.setdefault("kind", "PersistentVolumeClaim")
                claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        _template(obj)


DEPLOYMENT = DeploymentStrategy()
STATEFULSET = StatefulSetStrategy()
