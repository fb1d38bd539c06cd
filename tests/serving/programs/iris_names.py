"""A custom model as a user writes one, kserve style: its own program and command.

    python iris_names.py --model_dir DIR [--http_port PORT] [--model_name NAME]

It loads an sklearn classifier from DIR, predicts class probabilities and answers the
iris species' names (a BYTES output in V2). It needs nothing from pinnace but the small
base class and the server; the hooks mix plain and async methods on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from pinnace.serving import inferences, models, server

NAMES = np.array(["setosa", "versicolor", "virginica"], dtype=object)


class IrisNames(models.Model):
    def __init__(self, name: str, model_dir: Path) -> None:
        super().__init__(name)
        self.model_dir = model_dir
        self.classifier: Any = None

    def load(self) -> bool:
        self.classifier = joblib.load(self.model_dir / "model.joblib")
        self.ready = True
        return True

    def inputs(self) -> list[models.TensorSpec]:
        return [models.TensorSpec("measurements", "FP64", (-1, 4))]

    def outputs(self) -> list[models.TensorSpec]:
        return [models.TensorSpec("species", "BYTES", (-1,))]

    def preprocess(self, payload: Any, headers: models.Headers | None = None) -> Any:
        if isinstance(payload, inferences.InferRequest):
            return payload.inputs[0].as_numpy()
        return np.asarray(payload["instances"], dtype=np.float64)

    async def predict(self, payload: Any, headers: models.Headers | None = None) -> Any:
        await asyncio.sleep(0)  # an async hook is awaited
        return self.classifier.predict_proba(payload)

    def postprocess(self, result: Any, headers: models.Headers | None = None) -> Any:
        names = NAMES[np.argmax(result, axis=1)]
        return {"species": names}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_dir", type=Path, required=True)
    parser.add_argument("--model_name", default="iris-names")
    args, _ = parser.parse_known_args()
    model = IrisNames(args.model_name, args.model_dir)
    model.load()
    server.ModelServer().start([model])


if __name__ == "__main__":
    main()
