"""Model files of every built-in format, trained here on iris (no downloads), and each
trained model's own in-process predictions to compare the server's answers with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class Trained:
    format: str
    directory: Path
    predict: Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]
    """The trained model's own prediction of rows (what the server must answer)."""
    input_datatype: str


def iris() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    data = load_iris()
    return data.data, data.target


def sklearn_model(directory: Path) -> Trained:
    features, target = iris()
    model = LogisticRegression(max_iter=1000).fit(features, target)
    joblib.dump(model, directory / "model.joblib")
    return Trained("sklearn", directory, model.predict, "FP64")


def xgboost_model(directory: Path) -> Trained:
    import xgboost

    features, target = iris()
    model = xgboost.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(features, target)
    model.get_booster().save_model(directory / "model.json")
    return Trained("xgboost", directory, model.predict_proba, "FP32")


def lightgbm_model(directory: Path) -> Trained:
    import lightgbm

    features, target = iris()
    model = lightgbm.LGBMClassifier(n_estimators=8, num_leaves=7, verbose=-1, n_jobs=1)
    model.fit(features, target)
    model.booster_.save_model(directory / "model.txt")
    return Trained("lightgbm", directory, model.predict_proba, "FP64")


def onnx_model(directory: Path) -> Trained:
    import onnxruntime
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    features, target = iris()
    model = LogisticRegression(max_iter=1000).fit(features, target)
    graph = convert_sklearn(
        model,
        initial_types=[("float_input", FloatTensorType([None, 4]))],
        options={id(model): {"zipmap": False}},
        target_opset=17,
    )
    path = directory / "model.onnx"
    path.write_bytes(graph.SerializeToString())
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def labels(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        result: np.ndarray[Any, Any] = session.run(
            ["label"], {"float_input": rows.astype(np.float32)}
        )[0]
        return result

    return Trained("onnx", directory, labels, "FP32")


TRAINERS: dict[str, Callable[[Path], Trained]] = {
    "sklearn": sklearn_model,
    "xgboost": xgboost_model,
    "lightgbm": lightgbm_model,
    "onnx": onnx_model,
}
