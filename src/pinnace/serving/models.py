"""The model contract, in KServe's `kserve.Model` style: load, preprocess, predict, postprocess.

A custom model subclasses `Model` in its own program and serves itself with
`pinnace.serving.server.ModelServer().start([model])`, as a kserve user calls
`kserve.ModelServer().start([model])`; the built-in formats
(`pinnace.serving.formats`) are subclasses too. `pinnace.serving.inferring` runs the
hooks per request: for V1 the payload is the request's JSON object, for V2 an
`inferences.InferRequest`. Each hook may be a plain or an `async` method.
`inputs()`/`outputs()` describe the tensors for V2 model metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Headers = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One input or output in model metadata; -1 in `shape` is a variable dimension."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


class Model:
    """A served model. Override `load` and `predict` (and optionally the others)."""

    platform = ""
    """V2 metadata `platform`, e.g. `sklearn` or `onnxruntime_onnx`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ready = False
        self.version: str | None = None
        self.in_flight = 0
        """Requests of this model being answered now (kept by the app; read by a batcher)."""
        self.on_batch: Callable[[int], None] | None = None
        """Called with each predicted batch's size in rows (the app's metrics)."""

    def load(self) -> bool:
        """Load the model's artifacts; set and return `ready`."""
        self.ready = True
        return self.ready

    def inputs(self) -> list[TensorSpec]:
        return []

    def outputs(self) -> list[TensorSpec]:
        return []

    def preprocess(self, payload: Any, headers: Headers | None = None) -> Any:
        return payload

    def predict(self, payload: Any, headers: Headers | None = None) -> Any:
        raise NotImplementedError(f"model {self.name!r} does not implement predict")

    def postprocess(self, result: Any, headers: Headers | None = None) -> Any:
        return result

    def metadata(self) -> dict[str, Any]:
        """The V2 model metadata document."""
        return {
            "name": self.name,
            "versions": [self.version] if self.version is not None else [],
            "platform": self.platform,
            "inputs": [spec.as_json() for spec in self.inputs()],
            "outputs": [spec.as_json() for spec in self.outputs()],
        }
