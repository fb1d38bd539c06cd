"""Validating admission for InferenceServices: KServe's webhook checks, a 422 at `kubectl apply`.

The composition root (`cli/platform.py`) adds `VALIDATORS` to the API server's, which
calls `inference_service` on every create and every update that changes `spec`
(`apiserver/admission.py`), after the CRD schema has checked types and ranges
(`canaryTrafficPercent` ≤ 100, replicas ≥ 0...). What is left is what KServe's
validating webhook (`inferenceservice_validation.go`) refuses, with the field named:

- a name that is not a DNS-1035 label (it becomes a host name);
- a predictor with not exactly one of `model`, a framework key, or `containers`;
- `minReplicas` greater than `maxReplicas`;
- a `storageUri` of a scheme KServe does not know.

Whether a runtime serves the model is not judged here: a runtime may be created after
the InferenceService, so that is the controller's status (`NoSupportingRuntime`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from pinnace.api import kinds
from pinnace.api.views import inferenceservices
from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object

Cause = dict[str, str]
Validator = Callable[[Object, Object | None], list[Cause]]

_INVALID = "FieldValueInvalid"
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
STORAGE_SCHEMES = ("gs", "s3", "pvc", "file", "http", "https", "hdfs", "webhdfs", "oci", "hf")
"""KServe's `SupportedStorageURIPrefixList` (a plain local path is allowed too)."""


def _cause(field: str, message: str) -> Cause:
    return {"reason": _INVALID, "message": message, "field": field}


def _storage(field: str, uri: Any) -> list[Cause]:
    if not isinstance(uri, str) or not uri:
        return []
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme and scheme not in STORAGE_SCHEMES:
        return [
            _cause(
                field,
                f"storage URI {uri!r} is not supported: the scheme must be one of "
                + ", ".join(f"{s}://" for s in STORAGE_SCHEMES),
            )
        ]
    return []


def inference_service(obj: Object, old: Object | None) -> list[Cause]:
    found: list[Cause] = []
    name = objects.name_of(obj)
    if len(name) > 63 or not _DNS_1035.match(name):
        found.append(
            _cause(
                "metadata.name",
                "the InferenceService name must consist of lower case alphanumeric characters "
                "or '-', start with an alphabetic character and end with an alphanumeric one",
            )
        )
    predictor = (obj.get("spec") or {}).get("predictor")
    if not isinstance(predictor, dict):
        return found  # the CRD schema requires it
    given = [
        k for k in ("model", *inferenceservices.FRAMEWORKS) if isinstance(predictor.get(k), dict)
    ]
    if predictor.get("containers"):
        given.append("containers")
    if len(given) != 1:
        keys = ", ".join(given) if given else "none"
        found.append(
            _cause(
                "spec.predictor",
                "exactly one of model, a framework (sklearn, xgboost, ...) or containers "
                f"must be specified in the predictor (found: {keys})",
            )
        )
    low, high = predictor.get("minReplicas"), predictor.get("maxReplicas")
    if isinstance(low, int) and isinstance(high, int) and high > 0 and low > high:
        found.append(
            _cause(
                "spec.predictor.minReplicas",
                f"minReplicas ({low}) cannot be greater than maxReplicas ({high})",
            )
        )
    for key in given:
        if key != "containers":
            found.extend(
                _storage(f"spec.predictor.{key}.storageUri", predictor[key].get("storageUri"))
            )
    return found


VALIDATORS: dict[tuple[str, str], Validator] = {
    (kinds.INFERENCESERVICES.group, kinds.INFERENCESERVICES.kind): inference_service,
}
