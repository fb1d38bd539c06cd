"""The schema-less protobuf wire reader."""

from __future__ import annotations

import struct

import pytest

from pinnace.kits import protowire


@pytest.mark.parametrize(
    ("data", "value"),
    [
        pytest.param(b"\x00", 0, id="zero"),
        pytest.param(b"\x01", 1, id="one"),
        pytest.param(b"\x7f", 127, id="one-byte-max"),
        pytest.param(b"\x80\x01", 128, id="two-bytes"),
        pytest.param(b"\xac\x02", 300, id="300"),
        pytest.param(b"\xff" * 9 + b"\x01", 2**64 - 1, id="max-uint64"),
    ],
)
def test_read_varint(data: bytes, value: int) -> None:
    assert protowire.read_varint(data + b"rest", 0) == (value, len(data))
    assert protowire.varint(value) == data


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x80", id="truncated"),
        pytest.param(b"\xff" * 11, id="too-long"),
    ],
)
def test_bad_varint(data: bytes) -> None:
    with pytest.raises(protowire.DecodeError):
        protowire.read_varint(data, 0)


def test_records_of_every_wire_type() -> None:
    data = (
        protowire.field(1, 150)
        + protowire.field(2, "testing")
        + protowire.varint(3 << 3 | protowire.FIXED64)
        + struct.pack("<d", 1.5)
        + protowire.varint(4 << 3 | protowire.FIXED32)
        + struct.pack("<f", -2.0)
        + protowire.field(1000, b"")
    )
    got = list(protowire.records(data))
    assert got[:2] == [(1, 0, 150), (2, 2, b"testing")]
    assert protowire.double(int(got[2][2])) == 1.5  # type: ignore[arg-type]
    assert protowire.float32(int(got[3][2])) == -2.0  # type: ignore[arg-type]
    assert got[4] == (1000, 2, b"")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x12\x05abc", id="length-past-end"),
        pytest.param(b"\x09\x00\x00", id="truncated-fixed64"),
        pytest.param(b"\x0d\x00", id="truncated-fixed32"),
        pytest.param(b"\x0b", id="group"),
        pytest.param(b"\x00\x01", id="field-zero"),
    ],
)
def test_malformed_records(data: bytes) -> None:
    with pytest.raises(protowire.DecodeError):
        list(protowire.records(data))


def test_signed_values() -> None:
    # int32 -1 is sign-extended to ten bytes on the wire.
    minus_one = protowire.read_varint(protowire.varint(-1), 0)[0]
    assert protowire.int32(minus_one) == -1
    assert protowire.int64(minus_one) == -1
    assert protowire.uint32(minus_one) == 2**32 - 1
    assert protowire.int64(2**63 - 1) == 2**63 - 1
    assert protowire.int32(2**31) == -(2**31)
    assert [protowire.zigzag(v) for v in (0, 1, 2, 3, 4294967294)] == [0, -1, 1, -2, 2147483647]


def test_packed() -> None:
    assert protowire.packed_varints(b"\x03\x8e\x02\x9e\xa7\x05") == [3, 270, 86942]
    assert protowire.packed_fixed(b"\x01\x00\x00\x00\x02\x00\x00\x00", 4) == [1, 2]
    with pytest.raises(protowire.DecodeError):
        protowire.packed_fixed(b"\x01\x00\x00", 4)
