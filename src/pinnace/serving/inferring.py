"""One inference through a model's hooks, and what a hook may return.

`pinnace.serving.app` calls `infer_v1` with a V1 body's JSON object and `infer_v2`
with a decoded `InferRequest`; both run preprocess → predict → postprocess (awaiting
whichever are coroutines) and coerce the result: for V1 a dict passes as is and
anything else becomes `{"predictions": ...}`; for V2 an `InferResponse` passes as is,
an array becomes the output `output-0`, a list of arrays `output-0`, `output-1`, …,
and a dict of arrays outputs by name. A `ValueError`/`TypeError` out of a hook is the
client's input not fitting the model: 400, not 500.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from pinnace.serving import errors, inferences, models


async def infer_v1(model: models.Model, payload: Any, headers: models.Headers) -> Any:
    result = await _run(model, payload, headers)
    if isinstance(result, dict):
        return result
    return {"predictions": result}


async def infer_v2(
    model: models.Model, request: inferences.InferRequest, headers: models.Headers
) -> inferences.InferResponse:
    result = await _run(model, request, headers)
    if isinstance(result, inferences.InferResponse):
        return result
    return inferences.InferResponse(
        model_name=model.name,
        outputs=_outputs(model, result),
        id=request.id,
        model_version=model.version,
    )


async def _run(model: models.Model, payload: Any, headers: models.Headers) -> Any:
    try:
        value = model.preprocess(payload, headers)
        if inspect.isawaitable(value):
            value = await value
        value = model.predict(value, headers)
        if inspect.isawaitable(value):
            value = await value
        value = model.postprocess(value, headers)
        if inspect.isawaitable(value):
            value = await value
    except (ValueError, TypeError) as exc:
        raise errors.InvalidInput(f"model {model.name!r} rejected the input: {exc}") from exc
    return value


def _outputs(model: models.Model, result: Any) -> list[inferences.InferOutput]:
    if isinstance(result, dict):
        items = list(result.items())
    elif isinstance(result, list | tuple) and all(isinstance(r, np.ndarray) for r in result):
        items = [(f"output-{i}", r) for i, r in enumerate(result)]
    else:
        items = [("output-0", result)]
    outputs = []
    for name, value in items:
        if isinstance(value, inferences.InferOutput):
            outputs.append(value)
            continue
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
        outputs.append(inferences.InferOutput.from_numpy(str(name), array))
    return outputs
