"""The built-in formats' common part: a model that maps input arrays to output arrays.

Each format (`sklearn`, `xgboost`, `lightgbm`, `onnx` beside this module) loads its
file, describes its tensors (`inputs()`/`outputs()`) and implements
`predict_arrays`. This class turns both protocols into that call: a V2 request's
inputs are matched to the specs (by name when there are several), checked (a BYTES
tensor for a numeric input, a wrong rank or fixed dimension → 400) and cast to the
spec's dtype; a V1 body's `instances` (or `inputs`) becomes the single input. With
`batching` settings, requests go through `pinnace.serving.batching.Batcher`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pinnace.serving import batching, errors, inferences, models, tensors


class ArrayModel(models.Model):
    extensions: tuple[str, ...] = ()
    """Model file names this format loads, by suffix, in order of preference."""

    def __init__(
        self, name: str, model_dir: Path, *, batching_settings: batching.Settings | None = None
    ) -> None:
        super().__init__(name)
        self.model_dir = model_dir
        self._input_specs: list[models.TensorSpec] = []
        self._output_specs: list[models.TensorSpec] = []
        self._batcher = (
            batching.Batcher(
                self.predict_arrays,
                batching_settings,
                in_flight=lambda: self.in_flight,
                observe=self._observe_batch,
            )
            if batching_settings is not None
            else None
        )

    # -- what a format implements ------------------------------------------------------

    def load_file(self, path: Path) -> tuple[list[models.TensorSpec], list[models.TensorSpec]]:
        """Load the model file; return its input and output specs."""
        raise NotImplementedError

    def predict_arrays(self, inputs: list[tensors.Array]) -> list[tensors.Array]:
        raise NotImplementedError

    # -- the Model contract ------------------------------------------------------------

    def load(self) -> bool:
        self._input_specs, self._output_specs = self.load_file(self.model_file())
        self.ready = True
        return True

    def probe_outputs(self, inputs: list[models.TensorSpec]) -> list[models.TensorSpec]:
        """Output specs found by predicting one row of zeros (for formats whose files do not
        say): every dimension after the batch one, and the datatype, as the model answers."""
        row = [
            np.zeros([1, *(max(d, 1) for d in spec.shape[1:])], dtype=tensors.DTYPES[spec.datatype])
            for spec in inputs
        ]
        return [
            models.TensorSpec(
                f"output-{i}", tensors.datatype_of(out), (-1, *(int(d) for d in out.shape[1:]))
            )
            for i, out in enumerate(self.predict_arrays(row))
        ]

    def model_file(self) -> Path:
        """The single model file in `model_dir` (or `model_dir` itself when it is a file)."""
        if self.model_dir.is_file():
            return self.model_dir
        for suffix in self.extensions:
            found = sorted(p for p in self.model_dir.glob(f"*{suffix}") if p.is_file())
            if len(found) > 1:
                raise ValueError(
                    f"more than one {suffix} model file in {self.model_dir}: "
                    + ", ".join(p.name for p in found)
                )
            if found:
                return found[0]
        raise FileNotFoundError(f"no model file ({', '.join(self.extensions)}) in {self.model_dir}")

    def inputs(self) -> list[models.TensorSpec]:
        return self._input_specs

    def outputs(self) -> list[models.TensorSpec]:
        return self._output_specs

    async def predict(self, payload: Any, headers: models.Headers | None = None) -> Any:
        if isinstance(payload, inferences.InferRequest):
            arrays = self._v2_inputs(payload.inputs)
            results = await self._predict(arrays)
            return inferences.InferResponse(
                model_name=self.name,
                outputs=[
                    inferences.InferOutput(
                        spec.name, tensors.datatype_of(result), list(result.shape), result
                    )
                    for spec, result in zip(self._output_specs, results, strict=True)
                ],
                id=payload.id,
                model_version=self.version,
            )
        if isinstance(payload, dict):
            return {"predictions": (await self._predict([self._v1_input(payload)]))[0]}
        raise errors.InvalidInput(f"model {self.name!r} cannot predict a {type(payload).__name__}")

    # -- the parts ---------------------------------------------------------------------

    async def _predict(self, arrays: list[tensors.Array]) -> list[tensors.Array]:
        if self._batcher is not None:
            return await self._batcher.submit(arrays)
        results = self.predict_arrays(arrays)
        self._observe_batch(int(arrays[0].shape[0]) if arrays[0].ndim else 1)
        return results

    def _observe_batch(self, rows: int) -> None:
        if self.on_batch is not None:
            self.on_batch(rows)

    def _v2_inputs(self, given: list[inferences.InferInput]) -> list[tensors.Array]:
        specs = self._input_specs
        if len(specs) == 1 and len(given) == 1:
            return [_fit(specs[0], given[0].name, given[0].datatype, given[0].data)]
        by_name = {item.name: item for item in given}
        unknown = sorted(set(by_name) - {spec.name for spec in specs})
        if unknown:
            raise errors.InvalidInput(
                f"unknown input {unknown[0]!r}; model {self.name!r} takes "
                + ", ".join(spec.name for spec in specs)
            )
        arrays = []
        for spec in specs:
            item = by_name.get(spec.name)
            if item is None:
                raise errors.InvalidInput(f"missing input {spec.name!r}")
            arrays.append(_fit(spec, item.name, item.datatype, item.data))
        return arrays

    def _v1_input(self, payload: dict[str, Any]) -> tensors.Array:
        instances = payload.get("instances", payload.get("inputs"))
        if not isinstance(instances, list):
            raise errors.InvalidInput('expected "instances" or "inputs" as a list in the request')
        if len(self._input_specs) != 1:
            raise errors.InvalidInput(
                f"model {self.name!r} takes {len(self._input_specs)} inputs; use the V2 protocol"
            )
        spec = self._input_specs[0]
        try:
            array = np.array(instances)
        except ValueError as exc:
            raise errors.InvalidInput(f"instances: {exc}") from None
        datatype = "BYTES" if array.dtype.kind in "OUS" else tensors.datatype_of(array)
        return _fit(spec, "instances", datatype, array)


def _fit(spec: models.TensorSpec, name: str, datatype: str, array: tensors.Array) -> tensors.Array:
    """The array checked against the spec (datatype family, rank, fixed dims) and cast."""
    if (datatype == "BYTES") != (spec.datatype == "BYTES"):
        raise errors.InvalidInput(
            f"input {name!r}: datatype {datatype} does not fit the model's {spec.datatype}"
        )
    shape = array.shape
    if len(shape) != len(spec.shape) or any(
        want not in (-1, got) for want, got in zip(spec.shape, shape, strict=True)
    ):
        raise errors.InvalidInput(
            f"input {name!r}: shape {list(shape)} does not fit the model's {list(spec.shape)}"
        )
    if spec.datatype == "BYTES":
        return array
    return array.astype(tensors.DTYPES[spec.datatype], copy=False)
