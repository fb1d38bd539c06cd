"""Inference requests and responses of the V2 protocol, as a model sees them.

The shapes follow KServe's `kserve.InferRequest`/`InferResponse` closely enough that a
kserve-style model ports by changing its imports: `request.inputs[i].as_numpy()`,
`InferOutput.from_numpy(name, array)`, `InferResponse(model_name=..., outputs=[...])`.
`pinnace.serving.v2` builds requests from HTTP bodies and writes responses back;
`pinnace.serving.models` passes them to a model's preprocess/predict/postprocess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pinnace.serving import tensors


@dataclass(frozen=True, slots=True)
class InferInput:
    name: str
    datatype: str
    shape: list[int]
    data: tensors.Array
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def as_numpy(self) -> tensors.Array:
        return self.data


@dataclass(frozen=True, slots=True)
class RequestedOutput:
    """One entry of a request's `outputs`: a name and whether to send it as binary."""

    name: str
    binary: bool = False
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InferRequest:
    model_name: str
    inputs: list[InferInput]
    id: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    outputs: list[RequestedOutput] | None = None
    """The outputs the client asked for, or None for all of them."""
    binary_outputs: bool = False
    """`binary_data_output: true` in the request's parameters: every output as binary."""


@dataclass(frozen=True, slots=True)
class InferOutput:
    name: str
    datatype: str
    shape: list[int]
    data: tensors.Array
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_numpy(cls, name: str, array: tensors.Array) -> InferOutput:
        return cls(name, tensors.datatype_of(array), list(array.shape), array)

    def as_numpy(self) -> tensors.Array:
        return self.data


@dataclass(frozen=True, slots=True)
class InferResponse:
    model_name: str
    outputs: list[InferOutput]
    id: str | None = None
    model_version: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
