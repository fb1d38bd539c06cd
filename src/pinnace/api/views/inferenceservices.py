"""`InferenceService` (serving.kserve.io/v1beta1): the predictor's model, scaling, and status.

Both predictor spellings parse into one `Model`: the current
`predictor.model: {modelFormat: {name}, storageUri, runtime}` and the older
framework keys (`predictor.sklearn: {storageUri}`...), whose key is the format.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinnace.api.views import conditions, metas
from pinnace.kits.kube.objects import Object

FRAMEWORKS = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "tensorflow",
    "pytorch",
    "onnx",
    "triton",
    "pmml",
    "paddle",
    "huggingface",
)


class ConditionType(enum.StrEnum):
    READY = "Ready"
    PREDICTOR_READY = "PredictorReady"
    INGRESS_READY = "IngressReady"
    TRANSFORMER_READY = "TransformerReady"
    LATEST_DEPLOYMENT_READY = "LatestDeploymentReady"


@dataclass(frozen=True, slots=True)
class Model:
    format: str
    version: str = ""
    storage_uri: str = ""
    runtime: str = ""
    protocol_version: str = ""


@dataclass(frozen=True, slots=True)
class Scaling:
    min_replicas: int | None = None
    max_replicas: int | None = None
    container_concurrency: int | None = None
    scale_target: int | None = None
    scale_metric: str = ""
    canary_traffic_percent: int | None = None


@dataclass(frozen=True, slots=True)
class InferenceService:
    meta: metas.Meta
    model: Model | None
    """None for a custom predictor (`predictor.containers`)."""
    scaling: Scaling
    has_transformer: bool
    url: str
    conditions: tuple[conditions.Condition, ...]

    @property
    def ready(self) -> bool:
        cond = conditions.find(self.conditions, ConditionType.READY)
        return cond is not None and cond.is_true

    @staticmethod
    def parse(obj: Object) -> InferenceService:
        spec = metas.section(obj, "spec")
        predictor = metas.section(spec, "predictor")
        status = metas.section(obj, "status")
        return InferenceService(
            meta=metas.Meta.parse(obj),
            model=_model(predictor),
            scaling=Scaling(
                min_replicas=_int(predictor.get("minReplicas")),
                max_replicas=_int(predictor.get("maxReplicas")),
                container_concurrency=_int(predictor.get("containerConcurrency")),
                scale_target=_int(predictor.get("scaleTarget")),
                scale_metric=str(predictor.get("scaleMetric") or ""),
                canary_traffic_percent=_int(predictor.get("canaryTrafficPercent")),
            ),
            has_transformer=bool(spec.get("transformer")),
            url=str(status.get("url") or ""),
            conditions=conditions.parse_all(status.get("conditions")),
        )


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


def _model(predictor: Object) -> Model | None:
    model = predictor.get("model")
    if isinstance(model, dict):
        fmt = metas.section(model, "modelFormat")
        return Model(
            format=str(fmt.get("name") or ""),
            version=str(fmt.get("version") or ""),
            storage_uri=str(model.get("storageUri") or ""),
            runtime=str(model.get("runtime") or ""),
            protocol_version=str(model.get("protocolVersion") or ""),
        )
    for framework in FRAMEWORKS:
        legacy = predictor.get(framework)
        if isinstance(legacy, dict):
            return Model(
                format=framework,
                storage_uri=str(legacy.get("storageUri") or ""),
                runtime=str(legacy.get("runtime") or ""),
                protocol_version=str(legacy.get("protocolVersion") or ""),
            )
    return None
