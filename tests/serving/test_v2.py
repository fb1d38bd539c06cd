"""V2 bodies: JSON and the binary tensor extension, both ways, and the mistakes in them."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson
import pytest

from pinnace.serving import errors, inferences, tensors, v2


def binary_body(inputs: list[dict[str, Any]], raw: bytes, **extra: Any) -> tuple[bytes, str]:
    head = orjson.dumps({"inputs": inputs, **extra})
    return head + raw, str(len(head))


@pytest.mark.parametrize(
    ("datatype", "array"),
    [
        pytest.param("FP32", np.arange(6, dtype=np.float32).reshape(2, 3), id="fp32"),
        pytest.param("FP16", np.array([[1.5, -2.0]], dtype=np.float16), id="fp16"),
        pytest.param("INT8", np.array([-3, 4], dtype=np.int8), id="int8"),
        pytest.param("UINT64", np.array([2**63], dtype=np.uint64), id="uint64"),
        pytest.param("BOOL", np.array([True, False, True]), id="bool"),
        pytest.param("BYTES", np.array([b"ab", b"", b"\xff\x00"], dtype=object), id="bytes"),
    ],
)
def test_binary_inputs_round_trip(datatype: str, array: Any) -> None:
    raw = tensors.to_bytes(array, datatype)
    inputs = [
        {
            "name": "x",
            "datatype": datatype,
            "shape": list(array.shape),
            "parameters": {"binary_data_size": len(raw)},
        }
    ]
    body, length = binary_body(inputs, raw)
    request = v2.decode("m", body, length)
    decoded = request.inputs[0].as_numpy()
    assert decoded.shape == array.shape
    assert decoded.tolist() == array.tolist()


def test_bytes_are_length_prefixed() -> None:
    raw = tensors.to_bytes(np.array([b"abc", b"d"], dtype=object), "BYTES")
    assert raw == struct.pack("<I", 3) + b"abc" + struct.pack("<I", 1) + b"d"


def test_bf16_widens_to_float32() -> None:
    values = np.array([1.0, -2.5, 3.140625], dtype=np.float32)
    raw = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    inputs = [
        {"name": "x", "datatype": "BF16", "shape": [3], "parameters": {"binary_data_size": 6}}
    ]
    body, length = binary_body(inputs, raw)
    np.testing.assert_array_equal(v2.decode("m", body, length).inputs[0].as_numpy(), values)


def test_binary_and_json_inputs_mix_in_order() -> None:
    first = np.array([1, 2], dtype=np.int32)
    third = np.array([3.0], dtype=np.float64)
    inputs = [
        {"name": "a", "datatype": "INT32", "shape": [2], "parameters": {"binary_data_size": 8}},
        {"name": "b", "datatype": "BYTES", "shape": [1], "data": ["text"]},
        {"name": "c", "datatype": "FP64", "shape": [1], "parameters": {"binary_data_size": 8}},
    ]
    body, length = binary_body(inputs, first.tobytes() + third.tobytes())
    request = v2.decode("m", body, length)
    assert [i.as_numpy().tolist() for i in request.inputs] == [[1, 2], ["text"], [3.0]]


@pytest.mark.parametrize(
    ("inputs", "raw", "length", "message"),
    [
        pytest.param(
            [
                {
                    "name": "x",
                    "datatype": "FP32",
                    "shape": [2],
                    "parameters": {"binary_data_size": 8},
                }
            ],
            b"\x00" * 4,
            None,
            "passes the end of the body",
            id="short",
        ),
        pytest.param(
            [
                {
                    "name": "x",
                    "datatype": "FP32",
                    "shape": [3],
                    "parameters": {"binary_data_size": 8},
                }
            ],
            b"\x00" * 8,
            None,
            "need 12 bytes, got 8",
            id="size-vs-shape",
        ),
        pytest.param(
            [
                {
                    "name": "x",
                    "datatype": "FP32",
                    "shape": [1],
                    "parameters": {"binary_data_size": 4},
                }
            ],
            b"\x00" * 6,
            None,
            "2 bytes of binary data after",
            id="trailing",
        ),
        pytest.param(
            [
                {
                    "name": "x",
                    "datatype": "BYTES",
                    "shape": [1],
                    "parameters": {"binary_data_size": 6},
                }
            ],
            struct.pack("<I", 9) + b"ab",
            None,
            "passes the end of data",
            id="bytes-overrun",
        ),
        pytest.param(
            [{"name": "x", "datatype": "FP32", "shape": [1]}],
            b"",
            None,
            'neither "data" nor binary_data_size',
            id="no-data",
        ),
        pytest.param(
            [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}],
            b"",
            "lots",
            "must be an integer",
            id="header-not-int",
        ),
        pytest.param(
            [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}],
            b"",
            "999999",
            "does not fit",
            id="header-too-long",
        ),
    ],
)
def test_binary_mistakes_are_invalid_input(
    inputs: list[dict[str, Any]], raw: bytes, length: str | None, message: str
) -> None:
    body, real_length = binary_body(inputs, raw)
    with pytest.raises(errors.InvalidInput, match=message):
        v2.decode("m", body, length if length is not None else real_length)


def request(**options: Any) -> inferences.InferRequest:
    return inferences.InferRequest("m", [], **options)


def test_outputs_as_json_by_default_and_binary_on_request() -> None:
    response = inferences.InferResponse(
        "m",
        [
            inferences.InferOutput.from_numpy("p", np.array([[0.25, 0.75]], dtype=np.float32)),
            inferences.InferOutput.from_numpy("label", np.array(["b"], dtype=object)),
        ],
        model_version="2",
    )
    body, headers = v2.encode(response, request(id="x"))
    assert dict(headers) == {b"content-type": b"application/json"}
    assert orjson.loads(body) == {
        "model_name": "m",
        "model_version": "2",
        "id": "x",
        "outputs": [
            {"name": "p", "datatype": "FP32", "shape": [1, 2], "data": [0.25, 0.75]},
            {"name": "label", "datatype": "BYTES", "shape": [1], "data": ["b"]},
        ],
    }
    wanted = [inferences.RequestedOutput("label", binary=True)]
    body, headers = v2.encode(response, request(outputs=wanted))
    length = int(dict(headers)[v2.HEADER_LENGTH])
    head = orjson.loads(body[:length])
    assert [o["name"] for o in head["outputs"]] == ["label"]
    assert head["outputs"][0]["parameters"] == {"binary_data_size": 5}
    assert body[length:] == struct.pack("<I", 1) + b"b"
    body, headers = v2.encode(response, request(binary_outputs=True))
    length = int(dict(headers)[v2.HEADER_LENGTH])
    raw = body[length:]
    assert np.frombuffer(raw[:8], dtype="<f4").tolist() == [0.25, 0.75]
