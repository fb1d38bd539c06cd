from __future__ import annotations

from decimal import Decimal

import pytest

from pinnace.runtime import quantities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("64Mi", 64 * 2**20, id="binary"),
        pytest.param("1G", 10**9, id="decimal"),
        pytest.param("500M", 500 * 10**6, id="mega"),
        pytest.param("1e3", 1000, id="exponent"),
        pytest.param("1.5Gi", 3 * 2**29, id="fraction"),
        pytest.param(128, 128, id="int"),
    ],
)
def test_to_bytes(text: str | int, expected: int) -> None:
    assert quantities.to_bytes(text) == expected


def test_millis() -> None:
    assert quantities.parse("500m") == Decimal("0.5")
    assert quantities.divide_up("500m", "1m") == 500
    assert quantities.divide_up("250m") == 1
    assert quantities.divide_up("1Gi", "1Mi") == 1024


@pytest.mark.parametrize("text", ["", "abc", "12Q", "1..2", "Mi"])
def test_rejects(text: str) -> None:
    with pytest.raises(quantities.QuantityError):
        quantities.parse(text)
