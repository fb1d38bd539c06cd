"""The protobuf wire format, read without a schema.

A message is a sequence of (field number, wire type, value) records. This
module splits bytes into those records and turns raw values into Python
numbers; it knows nothing of any message type. `pinnace.api.protos.decoding`
gives the records meaning through its field tables.

Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited (strings, bytes,
embedded messages, packed repeated scalars), 5 fixed 32-bit. The deprecated
groups (3, 4) are refused.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5

_MAX_VARINT_BYTES = 10


class DecodeError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it."""
    result = 0
    shift = 0
    end = min(len(data), pos + _MAX_VARINT_BYTES)
    while pos < end:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & 0xFFFF_FFFF_FFFF_FFFF, pos
        shift += 7
    if pos >= len(data):
        raise DecodeError("unexpected end of data in a varint")
    raise DecodeError("varint longer than 10 bytes")


Record = tuple[int, int, int | bytes]


def records(data: bytes) -> Iterator[Record]:
    """Each (field number, wire type, value) of a message, in wire order.

    Varints and fixed values come as unsigned ints, length-delimited values as bytes.
    """
    pos = 0
    size = len(data)
    while pos < size:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise DecodeError("field number 0 is invalid")
        value: int | bytes
        if wire == VARINT:
            value, pos = read_varint(data, pos)
        elif wire == LENGTH_DELIMITED:
            length, pos = read_varint(data, pos)
            if pos + length > size:
                raise DecodeError(f"field {number}: length {length} runs past the end")
            value = data[pos : pos + length]
            pos += length
        elif wire == FIXED64:
            if pos + 8 > size:
                raise DecodeError(f"field {number}: truncated fixed64")
            value = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire == FIXED32:
            if pos + 4 > size:
                raise DecodeError(f"field {number}: truncated fixed32")
            value = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        else:
            raise DecodeError(f"field {number}: unsupported wire type {wire}")
        yield number, wire, value


def packed_varints(data: bytes) -> list[int]:
    """The values of a packed repeated varint field."""
    values = []
    pos = 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        values.append(value)
    return values


def packed_fixed(data: bytes, width: int) -> list[int]:
    """The values of a packed repeated fixed32 (width 4) or fixed64 (width 8) field."""
    if len(data) % width:
        raise DecodeError(f"packed fixed{width * 8} data is not a multiple of {width} bytes")
    return [int.from_bytes(data[i : i + width], "little") for i in range(0, len(data), width)]


def int64(value: int) -> int:
    """An int64 (or int32, which is sign-extended to 64 bits on the wire) from its varint."""
    value &= 0xFFFF_FFFF_FFFF_FFFF
    return value - (1 << 64) if value >= 1 << 63 else value


def int32(value: int) -> int:
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def uint32(value: int) -> int:
    return value & 0xFFFF_FFFF


def zigzag(value: int) -> int:
    """A sint32/sint64 from its varint."""
    return (value >> 1) ^ -(value & 1)


def double(value: int) -> float:
    result: float = struct.unpack("<d", value.to_bytes(8, "little"))[0]
    return result


def float32(value: int) -> float:
    result: float = struct.unpack("<f", value.to_bytes(4, "little"))[0]
    return result


# -- encoding, the few pieces tests and fixtures need ---------------------------


def varint(value: int) -> bytes:
    """The varint bytes of `value`; negative values as 64-bit two's complement."""
    value &= 0xFFFF_FFFF_FFFF_FFFF
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field(number: int, value: int | bytes | str) -> bytes:
    """One record: an int as a varint, bytes or str as length-delimited."""
    if isinstance(value, int):
        return varint(number << 3 | VARINT) + varint(value)
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | LENGTH_DELIMITED) + varint(len(raw)) + raw
