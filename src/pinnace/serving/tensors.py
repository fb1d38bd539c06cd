"""Tensors of the Open Inference Protocol: datatypes and the JSON and binary encodings.

`pinnace.serving.v2` calls these to turn a request's inputs into numpy arrays
and a model's numpy outputs back into `data` lists or raw bytes (Triton's binary
tensor extension: little-endian, row-major, no padding; BOOL one byte; each
BYTES element a 4-byte little-endian length and its bytes). Every client mistake
(an unknown datatype, data that does not fit the shape) is an `InvalidInput`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pinnace.serving import errors

Array = npt.NDArray[Any]

DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "BYTES": np.dtype(np.object_),
}
"""V2 datatype → numpy dtype. BF16 has no numpy dtype: it is widened to FP32 on input."""

DATATYPES = frozenset((*DTYPES, "BF16"))
NUMERIC = frozenset(DATATYPES - {"BYTES"})

_BY_KIND: dict[tuple[str, int], str] = {
    (dtype.kind, dtype.itemsize): name for name, dtype in DTYPES.items() if name != "BYTES"
}


def datatype_of(array: Array) -> str:
    """The V2 datatype of a numpy array (strings, bytes and objects are BYTES)."""
    dtype = array.dtype
    if dtype.kind in "OUS":
        return "BYTES"
    name = _BY_KIND.get((dtype.kind, dtype.itemsize))
    if name is None:
        raise errors.ServingError(f"cannot send numpy dtype {dtype} as a V2 tensor")
    return name


def check_datatype(name: str, datatype: object) -> str:
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise errors.InvalidInput(
            f"input {name!r}: unsupported datatype {datatype!r}; expected one of "
            + ", ".join(sorted(DATATYPES))
        )
    return datatype


def check_shape(name: str, shape: object) -> list[int]:
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise errors.InvalidInput(
            f"input {name!r}: shape must be a list of non-negative integers, got {shape!r}"
        )
    return shape


def from_json(name: str, datatype: str, shape: list[int], data: object) -> Array:
    """A tensor from its JSON `data` (nested or flat, row-major) checked against its shape."""
    if not isinstance(data, list):
        data = [data]
    try:
        if datatype == "BYTES":
            array = np.array(data, dtype=np.object_)
            if array.size and not all(isinstance(v, str | bytes) for v in array.flat):
                raise ValueError("BYTES data must be strings")
        elif datatype == "BOOL":
            array = np.array(data)
            if array.size and array.dtype != np.bool_:
                raise ValueError("BOOL data must be true or false")
        else:
            array = np.array(data)
            if array.size and array.dtype.kind not in "biuf":
                raise ValueError(f"{datatype} data must be numbers")
            if datatype == "BF16":
                array = array.astype(np.float32)
            else:
                array = array.astype(DTYPES[datatype], copy=False)
    except (ValueError, TypeError, OverflowError) as exc:
        raise errors.InvalidInput(f"input {name!r}: invalid {datatype} data: {exc}") from None
    return _reshape(name, array, shape)


def from_bytes(name: str, datatype: str, shape: list[int], raw: bytes | memoryview) -> Array:
    """A tensor from the binary extension's raw bytes."""
    count = math.prod(shape)
    if datatype == "BYTES":
        return _reshape(name, _split_bytes(name, raw), shape)
    if datatype == "BF16":
        halves = _frombuffer(name, raw, np.dtype("<u2"), count)
        return (halves.astype(np.uint32) << 16).view(np.float32).reshape(shape)
    return _frombuffer(name, raw, DTYPES[datatype], count).reshape(shape)


def to_bytes(array: Array, datatype: str) -> bytes:
    """The binary extension's encoding of a tensor."""
    if datatype == "BYTES":
        parts = []
        for value in array.flat:
            item = value if isinstance(value, bytes) else str(value).encode()
            parts.append(struct.pack("<I", len(item)))
            parts.append(item)
        return b"".join(parts)
    return np.ascontiguousarray(array, dtype=DTYPES[datatype]).tobytes()


def to_json(array: Array, datatype: str) -> Any:
    """Flat row-major `data` for JSON: a contiguous array orjson writes natively, or a list."""
    if datatype == "BYTES":
        return [
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in array.flat
        ]
    flat = np.ascontiguousarray(array).reshape(-1)
    if flat.dtype.byteorder == ">":
        flat = flat.astype(flat.dtype.newbyteorder("<"))
    return flat


def _reshape(name: str, array: Array, shape: Sequence[int]) -> Array:
    if array.size != math.prod(shape):
        raise errors.InvalidInput(
            f"input {name!r}: shape {list(shape)} needs {math.prod(shape)} elements, "
            f"data has {array.size}"
        )
    return array.reshape(shape)


def _frombuffer(name: str, raw: bytes | memoryview, dtype: np.dtype[Any], count: int) -> Array:
    if len(raw) != count * dtype.itemsize:
        raise errors.InvalidInput(
            f"input {name!r}: {count} elements of {dtype.itemsize} bytes need "
            f"{count * dtype.itemsize} bytes, got {len(raw)}"
        )
    return np.frombuffer(raw, dtype=dtype, count=count)


def _split_bytes(name: str, raw: bytes | memoryview) -> Array:
    items: list[bytes] = []
    view = memoryview(raw)
    offset = 0
    while offset < len(view):
        if offset + 4 > len(view):
            raise errors.InvalidInput(f"input {name!r}: truncated BYTES length prefix")
        (size,) = struct.unpack_from("<I", view, offset)
        offset += 4
        if offset + size > len(view):
            raise errors.InvalidInput(f"input {name!r}: BYTES element passes the end of data")
        items.append(bytes(view[offset : offset + size]))
        offset += size
    array = np.empty(len(items), dtype=np.object_)
    array[:] = items
    return array
