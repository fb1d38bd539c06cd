"""The platform imports `pinnace.serving` at start: nothing heavy may come with it, and a
model server imports only the framework of the format it serves."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "sklearn", "xgboost", "lightgbm", "onnxruntime")


def imported_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in out.split()}


def test_the_package_imports_no_framework() -> None:
    assert imported_after("import pinnace.serving").isdisjoint(HEAVY)


def test_the_server_imports_no_framework_until_a_model_loads() -> None:
    loaded = imported_after("import pinnace.serving.server")
    assert loaded.isdisjoint(set(HEAVY) - {"numpy"})


def test_an_sklearn_model_brings_sklearn_alone() -> None:
    loaded = imported_after(
        "from pinnace.serving import formats\nformats.model_class(formats.Format.SKLEARN)"
    )
    assert loaded.isdisjoint({"xgboost", "lightgbm", "onnxruntime"})
