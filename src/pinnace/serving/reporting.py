"""The InferenceService's status, as KServe writes it, from one reconcile pass's findings.

`reconciling` calls `status` last, with the traffic split it routed, what the latest
created revision's pods are doing and whether the routes are written. The shape is
KServe's Serverless mode:

- `url` `http://<name>.<ns>.<domain>`, `address.url` the `<name>-predictor` Service;
- `components.predictor`: `latestCreatedRevision`, `latestReadyRevision`,
  `latestRolledoutRevision`, `previousRolledoutRevision`, `traffic` (`tag`,
  `revisionName`, `percent`, `latestRevision`), its own `url` and `address`;
- conditions `PredictorReady` (the latest created revision serves), `IngressReady`
  (the routes send to a ready revision) and `Ready` (both);
- `modelStatus`: `transitionStatus` (UpToDate, InProgress, BlockedByFailedLoad,
  InvalidSpec), `states` (active: what serves now; target: what the latest revision
  loads), `copies` and `lastFailureInfo` (reason, message, location, exit code).
"""

from __future__ import annotations

from dataclasses import dataclass

from pinnace.controllers import conditions, statuses
from pinnace.kits import clocks
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.serving import failures, revisions, routing, traffic

READY = "Ready"
PREDICTOR_READY = "PredictorReady"
INGRESS_READY = "IngressReady"


@dataclass(frozen=True, slots=True)
class Progress:
    """The latest created revision's pods."""

    pods: int
    ready: bool
    failure: failures.Failure | None = None
    message: str = ""
    """The failing container's own words (its log's `error:` line)."""
    failed_pods: int = 0


def _traffic(split: traffic.Split) -> list[Object]:
    return [
        {
            "tag": t.tag,
            "revisionName": t.revision,
            "percent": t.percent,
            "latestRevision": t.latest,
        }
        for t in split.targets
    ]


def _components(isvc: Object, split: traffic.Split, domain: str) -> Object:
    name, namespace = objects.name_of(isvc), objects.namespace_of(isvc)
    predictor_name = routing.address_service_name(name)
    predictor: Object = {
        "url": f"http://{routing.host(predictor_name, namespace, domain)}",
        "address": {"url": f"http://{predictor_name}.{namespace}.svc.{routing.CLUSTER_DOMAIN}"},
        "traffic": _traffic(split),
    }
    for key, value in (
        ("latestCreatedRevision", split.latest_created),
        ("latestReadyRevision", split.latest_ready),
        ("latestRolledoutRevision", split.latest_rolledout),
        ("previousRolledoutRevision", split.previous_rolledout),
    ):
        if value:
            predictor[key] = value
    return {revisions.PREDICTOR: predictor}


def _model_status(isvc: Object, split: traffic.Split, progress: Progress, now: str) -> Object:
    serving = bool(split.routed)
    if progress.ready:
        transition, target = "UpToDate", "Loaded"
    elif progress.failure is not None:
        transition, target = "BlockedByFailedLoad", "FailedToLoad"
    else:
        transition, target = "InProgress", "Loading"
    out: Object = {
        "transitionStatus": transition,
        "states": {
            "activeModelState": "Loaded" if serving else target,
            "targetModelState": target,
        },
        "copies": {"failedCopies": progress.failed_pods, "totalCopies": progress.pods},
    }
    if progress.failure is not None:
        failure = progress.failure
        info: Object = {
            "reason": failure.reason,
            "message": _failure_message(progress),
            "location": failure.location,
            "modelRevisionName": split.latest_created,
        }
        prior = ((isvc.get("status") or {}).get("modelStatus") or {}).get("lastFailureInfo") or {}
        same = all(prior.get(k) == v for k, v in info.items())
        info["time"] = prior.get("time", now) if same else now  # a repeat is not news
        if failure.exit_code is not None:
            info["exitCode"] = failure.exit_code
        out["lastFailureInfo"] = info
    return out


def _failure_message(progress: Progress) -> str:
    failure = progress.failure
    assert failure is not None
    what = "the storage-initializer" if failure.init else f"container {failure.container}"
    said = progress.message or failure.detail
    code = f" (exit code {failure.exit_code})" if failure.exit_code is not None else ""
    return f"{what} failed{code}: {said}"


def status(
    isvc: Object,
    *,
    split: traffic.Split,
    progress: Progress,
    domain: str,
    clock: clocks.Clock,
) -> Object:
    """The whole status this controller owns (`statuses.write` compares and stamps it)."""
    name, namespace = objects.name_of(isvc), objects.namespace_of(isvc)
    now = clocks.rfc3339(clock.now())
    body: Object = {
        "url": f"http://{routing.host(name, namespace, domain)}",
        "address": {
            "url": f"http://{routing.address_service_name(name)}.{namespace}.svc."
            f"{routing.CLUSTER_DOMAIN}"
        },
        "components": _components(isvc, split, domain),
        "modelStatus": _model_status(isvc, split, progress, now),
        "deploymentMode": "Serverless",
    }
    if progress.ready:
        predictor = (conditions.Status.TRUE, "RevisionReady", f"{split.latest_created} is ready")
    elif progress.failure is not None:
        predictor = (conditions.Status.FALSE, progress.failure.reason, _failure_message(progress))
    else:
        predictor = (
            conditions.Status.UNKNOWN,
            "Deploying",
            f"waiting for {split.latest_created or 'a revision'} to become ready",
        )
    if split.routed:
        shares = ", ".join(f"{t.revision} {t.percent}%" for t in split.routed)
        ingress = (conditions.Status.TRUE, "RoutesReady", f"traffic: {shares}")
    else:
        ingress = (conditions.Status.UNKNOWN, "NoReadyRevision", "no revision is ready to route to")
    body = statuses.condition(
        isvc,
        body,
        PREDICTOR_READY,
        predictor[0],
        reason=predictor[1],
        message=predictor[2],
        clock=clock,
    )
    body = statuses.condition(
        isvc, body, INGRESS_READY, ingress[0], reason=ingress[1], message=ingress[2], clock=clock
    )
    both = predictor[0] is conditions.Status.TRUE and ingress[0] is conditions.Status.TRUE
    not_ready = predictor if predictor[0] is not conditions.Status.TRUE else ingress
    ready = (
        (conditions.Status.TRUE, "Ready", "the predictor is ready and routed")
        if both
        else not_ready
    )
    return statuses.condition(
        isvc, body, READY, ready[0], reason=ready[1], message=ready[2], clock=clock
    )
