"""Kubernetes resource quantities (`64Mi`, `1G`, `500m`, `1e3`) as numbers.

Used by the runtime for memory limits (the OOM watch in `limiting`), for
`resourceFieldRef` env values (`envs`) and for the Node's capacity (`nodes`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""


def parse(value: str | int | float) -> Decimal:
    """The exact value of a quantity: `parse("64Mi") == 67108864`, `parse("500m") == 0.5`."""
    if isinstance(value, bool):
        raise QuantityError(f"not a quantity: {value!r}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY.match(value.strip())
    if not match or match.group(2) not in _SUFFIXES:
        raise QuantityError(f"not a quantity: {value!r}")
    try:
        number = Decimal(match.group(1))
    except InvalidOperation as exc:
        raise QuantityError(f"not a quantity: {value!r}") from exc
    return number * _SUFFIXES[match.group(2)]


def to_bytes(value: str | int | float) -> int:
    """A memory quantity in whole bytes (rounded up, as the kubelet does)."""
    return math.ceil(parse(value))


def divide_up(value: str | int | float, divisor: str | int | float = 1) -> int:
    """`ceil(value / divisor)`: how `resourceFieldRef` renders a quantity (cpu in "1m"...)."""
    div = parse(divisor)
    if div <= 0:
        raise QuantityError(f"divisor must be positive: {divisor!r}")
    return math.ceil(parse(value) / div)
