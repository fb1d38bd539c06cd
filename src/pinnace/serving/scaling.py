"""How many model-server pods a revision runs: the seam the autoscaler will fill.

`reconciling` asks `replicas(isvc)` for every revision's Deployment. For now it is
KServe's Standard (raw) mode without an HPA: `minReplicas` (default 1), raised to 1
when it is 0, and capped by `maxReplicas` when that is set (0 = no cap). What is missing
is Knative's KPA: `scaleTarget`/`scaleMetric` (concurrency, rps) from the gateway's view
of in-flight requests per revision, stable and panic windows, and scale-to-zero with
the gateway's activator (`pinnace.gateway.activating.Activator`) holding requests while
a revision starts. When it comes, it decides this number per revision (and an idle
revision may get 0); nothing else in the controller changes. See docs/design/serving.md.
"""

from __future__ import annotations

from pinnace.api.views import inferenceservices

DEFAULT_MIN = 1


class InvalidScaling(ValueError):
    """min/max replicas that cannot both hold (KServe's webhook refuses them too)."""


def replicas(isvc: inferenceservices.InferenceService) -> int:
    """The Deployment's replicas for each revision of `isvc`."""
    low = isvc.scaling.min_replicas
    high = isvc.scaling.max_replicas
    if low is not None and high and low > high:
        raise InvalidScaling(
            f"spec.predictor.minReplicas ({low}) cannot be greater than maxReplicas ({high})"
        )
    count = DEFAULT_MIN if low is None else max(low, 1)  # 0: scale-to-zero is not here yet
    return min(count, high) if high else count
