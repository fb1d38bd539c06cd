"""scikit-learn models from `model.joblib` / `model.pkl` / `model.pickle`, as KServe's sklearnserver.

The file is loaded with joblib (which reads plain pickles too). Predictions are the
estimator's `predict`, or `predict_proba` with `predict_proba=True` (KServe's
`PREDICT_PROBA`). Metadata comes from the estimator: `n_features_in_` gives the input
shape `[-1, n]` (FP64, sklearn's own precision; any numeric datatype is accepted and
cast), the output is `[-1]` with the datatype of `classes_` (or FP64 for a
regressor), or `[-1, n_classes]` FP64 probabilities.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pinnace.serving import batching, models, tensors
from pinnace.serving.formats import arrays


class SKLearnModel(arrays.ArrayModel):
    platform = "sklearn"
    extensions = (".joblib", ".pkl", ".pickle")

    def __init__(
        self,
        name: str,
        model_dir: Path,
        *,
        batching_settings: batching.Settings | None = None,
        predict_proba: bool = False,
    ) -> None:
        super().__init__(name, model_dir, batching_settings=batching_settings)
        self.predict_proba = predict_proba
        self._estimator: Any = None

    def load_file(self, path: Path) -> tuple[list[models.TensorSpec], list[models.TensorSpec]]:
        import joblib

        self._estimator = joblib.load(path)
        if self.predict_proba and not hasattr(self._estimator, "predict_proba"):
            raise ValueError(f"{type(self._estimator).__name__} has no predict_proba")
        features = int(getattr(self._estimator, "n_features_in_", -1))
        inputs = [models.TensorSpec("input-0", "FP64", (-1, features))]
        classes = getattr(self._estimator, "classes_", None)
        if self.predict_proba:
            width = len(classes) if classes is not None else -1
            output = models.TensorSpec("output-0", "FP64", (-1, width))
        elif classes is not None:
            output = models.TensorSpec("output-0", tensors.datatype_of(np.asarray(classes)), (-1,))
        else:
            output = models.TensorSpec("output-0", "FP64", (-1,))
        return inputs, [output]

    def predict_arrays(self, inputs: list[tensors.Array]) -> list[tensors.Array]:
        method = self._estimator.predict_proba if self.predict_proba else self._estimator.predict
        return [np.asarray(method(inputs[0]))]
