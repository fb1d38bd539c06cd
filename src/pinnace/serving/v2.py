"""The Open Inference Protocol (V2) REST bodies: infer requests in, responses out.

`pinnace.serving.app` hands `decode` the body of `POST /v2/models/{m}/infer` and the
value of `Inference-Header-Content-Length`: without the header the whole body is JSON,
whatever its Content-Type (tritonclient sends JSON with none; KServe 0.21 rejects that);
with it, the first N bytes are the JSON header and the rest are the binary tensors of
the inputs that carry `parameters.binary_data_size`, in order. `encode` writes a
model's `InferResponse` back, each output as JSON `data` or, when the request asked
(`binary_data_output`, or `binary_data` on a requested output), as raw bytes after
the JSON with `parameters.binary_data_size` and the header length set.
"""

from __future__ import annotations

from typing import Any

import orjson

from pinnace.serving import errors, inferences, tensors

JSON = b"application/json"
OCTETS = b"application/octet-stream"
HEADER_LENGTH = b"inference-header-content-length"
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def decode(model_name: str, body: bytes, header_length: str | None) -> inferences.InferRequest:
    """An `InferRequest` from a V2 infer body (JSON, or JSON + binary tensors)."""
    head: bytes | memoryview
    if header_length is None:
        head, binary = body, memoryview(b"")
    else:
        try:
            size = int(header_length)
        except ValueError:
            raise errors.InvalidInput(
                f"Inference-Header-Content-Length must be an integer, got {header_length!r}"
            ) from None
        if not 0 <= size <= len(body):
            raise errors.InvalidInput(
                f"Inference-Header-Content-Length {size} does not fit the {len(body)}-byte body"
            )
        view = memoryview(body)
        head, binary = view[:size], view[size:]
    document = _loads(head)
    if not isinstance(document, dict):
        raise errors.InvalidInput("the request body must be a JSON object")
    raw_inputs = document.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise errors.InvalidInput('the request needs a non-empty list of "inputs"')
    inputs = []
    offset = 0
    for index, raw in enumerate(raw_inputs):
        if not isinstance(raw, dict):
            raise errors.InvalidInput(f"inputs[{index}] must be an object")
        name = raw.get("name")
        if not isinstance(name, str):
            raise errors.InvalidInput(f'inputs[{index}] needs a string "name"')
        datatype = tensors.check_datatype(name, raw.get("datatype"))
        shape = tensors.check_shape(name, raw.get("shape"))
        parameters = _parameters(raw.get("parameters"), f"input {name!r}")
        binary_size = parameters.get("binary_data_size")
        if binary_size is not None:
            if not isinstance(binary_size, int) or isinstance(binary_size, bool) or binary_size < 0:
                raise errors.InvalidInput(
                    f"input {name!r}: binary_data_size must be a non-negative integer"
                )
            if offset + binary_size > len(binary):
                raise errors.InvalidInput(
                    f"input {name!r}: binary_data_size {binary_size} passes the end of the body"
                )
            end = offset + binary_size
            array = tensors.from_bytes(name, datatype, shape, binary[offset:end])
            offset = end
        elif "data" in raw:
            array = tensors.from_json(name, datatype, shape, raw["data"])
        else:
            raise errors.InvalidInput(f'input {name!r} has neither "data" nor binary_data_size')
        inputs.append(inferences.InferInput(name, datatype, shape, array, parameters))
    if offset != len(binary):
        raise errors.InvalidInput(
            f"{len(binary) - offset} bytes of binary data after the inputs' binary_data_size"
        )
    parameters = _parameters(document.get("parameters"), "the request")
    request_id = document.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise errors.InvalidInput('"id" must be a string')
    return inferences.InferRequest(
        model_name=model_name,
        inputs=inputs,
        id=request_id,
        parameters=parameters,
        outputs=_requested(document.get("outputs")),
        binary_outputs=parameters.get("binary_data_output") is True,
    )


def encode(
    response: inferences.InferResponse, request: inferences.InferRequest
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The body and headers (content type, and the header length if binary) of a response."""
    outputs = response.outputs
    binary_names: set[str] = set()
    if request.outputs is not None:
        by_name = {output.name: output for output in outputs}
        chosen = []
        for wanted in request.outputs:
            found = by_name.get(wanted.name)
            if found is None:
                raise errors.InvalidInput(
                    f"unknown output {wanted.name!r}; the model has " + ", ".join(sorted(by_name))
                )
            chosen.append(found)
            if wanted.binary:
                binary_names.add(wanted.name)
        outputs = chosen
    chunks: list[bytes] = []
    described: list[dict[str, Any]] = []
    for output in outputs:
        entry: dict[str, Any] = {
            "name": output.name,
            "datatype": output.datatype,
            "shape": output.shape,
        }
        parameters = dict(output.parameters)
        if request.binary_outputs or output.name in binary_names:
            raw = tensors.to_bytes(output.data, output.datatype)
            chunks.append(raw)
            parameters["binary_data_size"] = len(raw)
        else:
            entry["data"] = tensors.to_json(output.data, output.datatype)
        if parameters:
            entry["parameters"] = parameters
        described.append(entry)
    document: dict[str, Any] = {"model_name": response.model_name}
    if response.model_version is not None:
        document["model_version"] = response.model_version
    response_id = response.id if response.id is not None else request.id
    if response_id is not None:
        document["id"] = response_id
    if response.parameters:
        document["parameters"] = dict(response.parameters)
    document["outputs"] = described
    head = orjson.dumps(document, option=_NUMPY)
    if not chunks:
        return head, [(b"content-type", JSON)]
    return b"".join((head, *chunks)), [
        (b"content-type", OCTETS),
        (HEADER_LENGTH, str(len(head)).encode()),
    ]


def _loads(raw: bytes | memoryview) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidInput(f"invalid JSON in the request body: {exc}") from None


def _parameters(raw: object, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise errors.InvalidInput(f"{where}: parameters must be an object")
    return raw


def _requested(raw: object) -> list[inferences.RequestedOutput] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise errors.InvalidInput('"outputs" must be a list')
    requested = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise errors.InvalidInput(f'outputs[{index}] needs a string "name"')
        parameters = _parameters(entry.get("parameters"), f"output {entry['name']!r}")
        requested.append(
            inferences.RequestedOutput(
                entry["name"], parameters.get("binary_data") is True, parameters
            )
        )
    return requested
