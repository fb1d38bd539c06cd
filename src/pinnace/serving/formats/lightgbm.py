"""LightGBM models from `model.txt` / `model.bst`, as KServe's lgbserver.

The file loads into a `lightgbm.Booster`; predictions are its own `predict` (class
probabilities `[-1, num_class]` for a multiclass model), on one thread. Metadata: the
input is `[-1, num_feature]` FP64, the output as a probe prediction made at load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pinnace.serving import models, tensors
from pinnace.serving.formats import arrays


class LightGBMModel(arrays.ArrayModel):
    platform = "lightgbm"
    extensions = (".txt", ".bst")

    def load_file(self, path: Path) -> tuple[list[models.TensorSpec], list[models.TensorSpec]]:
        import lightgbm

        self._booster = lightgbm.Booster(model_file=str(path))
        inputs = [models.TensorSpec("input-0", "FP64", (-1, self._booster.num_feature()))]
        return inputs, self.probe_outputs(inputs)

    def predict_arrays(self, inputs: list[tensors.Array]) -> list[tensors.Array]:
        return [np.asarray(self._booster.predict(inputs[0], num_threads=1))]
