"""ONNX models from `model.onnx`, run by onnxruntime on the CPU (PyTorch models come here
through their ONNX export).

Metadata is the graph's: each input and tensor output with its name, element type
(`tensor(float)` → FP32, ...) and shape (a symbolic or unknown dimension → -1).
Outputs that are not tensors (skl2onnx's ZipMap probabilities, a sequence of maps)
are not served; convert with `zipmap=False` to get them as a tensor. V2 requests name
the graph's inputs (one input takes any name); V1 answers the first output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pinnace.serving import models, tensors
from pinnace.serving.formats import arrays

ELEMENT_TYPES = {
    "tensor(bool)": "BOOL",
    "tensor(uint8)": "UINT8",
    "tensor(uint16)": "UINT16",
    "tensor(uint32)": "UINT32",
    "tensor(uint64)": "UINT64",
    "tensor(int8)": "INT8",
    "tensor(int16)": "INT16",
    "tensor(int32)": "INT32",
    "tensor(int64)": "INT64",
    "tensor(float16)": "FP16",
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(string)": "BYTES",
}


class ONNXModel(arrays.ArrayModel):
    platform = "onnxruntime_onnx"
    extensions = (".onnx",)

    def load_file(self, path: Path) -> tuple[list[models.TensorSpec], list[models.TensorSpec]]:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session: Any = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        inputs = []
        for arg in self._session.get_inputs():
            if arg.type not in ELEMENT_TYPES:
                raise ValueError(f"input {arg.name!r} has type {arg.type}, not a tensor")
            inputs.append(models.TensorSpec(arg.name, ELEMENT_TYPES[arg.type], _shape(arg.shape)))
        outputs = [
            models.TensorSpec(arg.name, ELEMENT_TYPES[arg.type], _shape(arg.shape))
            for arg in self._session.get_outputs()
            if arg.type in ELEMENT_TYPES
        ]
        if not outputs:
            raise ValueError(f"{path.name} has no tensor outputs")
        self._input_names = [spec.name for spec in inputs]
        self._output_names = [spec.name for spec in outputs]
        return inputs, outputs

    def predict_arrays(self, inputs: list[tensors.Array]) -> list[tensors.Array]:
        feed = dict(zip(self._input_names, inputs, strict=True))
        results: list[tensors.Array] = self._session.run(self._output_names, feed)
        return results


def _shape(shape: list[Any]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) and d >= 0 else -1 for d in shape)
