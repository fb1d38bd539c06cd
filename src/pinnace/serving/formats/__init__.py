"""The built-in model formats, each imported only when a server loads a model of it.

`pinnace.serving.server` calls `load(format, ...)`: the format's module (and so its
framework: scikit-learn, xgboost, lightgbm, onnxruntime) is imported then, never at
platform start. `detect` names the format of a model directory from its file names
when the user gave none (`.bst` alone is ambiguous between xgboost and lightgbm).
"""

from __future__ import annotations

import enum
import importlib
from pathlib import Path

from pinnace.serving import batching
from pinnace.serving.formats import arrays


class Format(enum.StrEnum):
    SKLEARN = "sklearn"
    XGBOOST = "xgboost"
    LIGHTGBM = "lightgbm"
    ONNX = "onnx"


_CLASSES = {
    Format.SKLEARN: ("pinnace.serving.formats.sklearn", "SKLearnModel"),
    Format.XGBOOST: ("pinnace.serving.formats.xgboost", "XGBoostModel"),
    Format.LIGHTGBM: ("pinnace.serving.formats.lightgbm", "LightGBMModel"),
    Format.ONNX: ("pinnace.serving.formats.onnx", "ONNXModel"),
}

_SUFFIXES = {
    ".joblib": Format.SKLEARN,
    ".pkl": Format.SKLEARN,
    ".pickle": Format.SKLEARN,
    ".ubj": Format.XGBOOST,
    ".json": Format.XGBOOST,
    ".txt": Format.LIGHTGBM,
    ".onnx": Format.ONNX,
}


def model_class(format_: Format) -> type[arrays.ArrayModel]:
    module, name = _CLASSES[format_]
    cls: type[arrays.ArrayModel] = getattr(importlib.import_module(module), name)
    return cls


def create(
    format_: Format,
    name: str,
    model_dir: Path,
    *,
    batching_settings: batching.Settings | None = None,
) -> arrays.ArrayModel:
    """An unloaded model of the format (call `load()` on it)."""
    return model_class(format_)(name, model_dir, batching_settings=batching_settings)


def detect(model_dir: Path) -> Format:
    """The format of the model file(s) in a directory (or of a file), by suffix."""
    files = [model_dir] if model_dir.is_file() else sorted(model_dir.iterdir())
    found = {_SUFFIXES[p.suffix] for p in files if p.is_file() and p.suffix in _SUFFIXES}
    if len(found) == 1:
        return found.pop()
    if not found and any(p.suffix == ".bst" for p in files):
        raise ValueError(f"{model_dir}: a .bst file may be xgboost or lightgbm; name the format")
    if not found:
        raise ValueError(f"{model_dir}: no model file of a known format")
    raise ValueError(
        f"{model_dir}: model files of several formats ({', '.join(sorted(found))}); name one"
    )
