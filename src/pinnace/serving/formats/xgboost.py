"""XGBoost models from `model.bst` / `model.json` / `model.ubj`, as KServe's xgbserver.

The file loads into an `xgboost.Booster` (one thread per prediction, as KServe's
`nthread` default: one-row requests gain nothing from a pool). Predictions are the
booster's own `predict` over a DMatrix (probabilities for a `multi:softprob` model,
margins or probabilities per objective). Metadata: the input is `[-1, num_features]`
FP32 (XGBoost's own precision), the output shape and datatype those of a probe
prediction made at load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pinnace.serving import models, tensors
from pinnace.serving.formats import arrays


class XGBoostModel(arrays.ArrayModel):
    platform = "xgboost"
    extensions = (".ubj", ".json", ".bst")

    def load_file(self, path: Path) -> tuple[list[models.TensorSpec], list[models.TensorSpec]]:
        import xgboost

        self._xgboost: Any = xgboost
        self._booster = xgboost.Booster(params={"nthread": 1}, model_file=str(path))
        inputs = [models.TensorSpec("input-0", "FP32", (-1, self._booster.num_features()))]
        return inputs, self.probe_outputs(inputs)

    def predict_arrays(self, inputs: list[tensors.Array]) -> list[tensors.Array]:
        matrix = self._xgboost.DMatrix(inputs[0], nthread=1)
        return [self._booster.predict(matrix)]
