"""Column definitions and cell helpers shared by the built-in printers.

A `Printer` is what kube-apiserver's `pkg/printers/internalversion` has per
kind: its column definitions and a function from an object to a row's cells.
Cells are computed as the apiserver does with `Wide: true` (kubectl hides
columns with priority > 0 unless `-o wide`), and ages are rendered by the
server (`translateTimestampSince`), so the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pinnace.kits.kube.objects import Object


@dataclass(frozen=True, slots=True)
class Column:
    """One `columnDefinitions[]` entry of a `meta.k8s.io/v1 Table`."""

    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class Row:
    cells: list[Any]
    conditions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Printer:
    columns: tuple[Column, ...]
    row: Callable[[Object, datetime], Row]


NAME = Column("Name", format="name", description="Name must be unique within a namespace.")
AGE = Column(
    "Age",
    description="CreationTimestamp is a timestamp representing the server time when this "
    "object was created.",
)
CREATED_AT = Column("Created At", type="date", description="The time the object was created.")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime, or None if absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """apimachinery's `duration.HumanDuration`: 45s, 3m12s, 2h5m, 4d3h, 2y30d."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 120:
        return f"{secs}s"
    minutes = secs // 60
    if minutes < 10:
        rest = secs % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = secs // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def since(value: Any, now: datetime) -> str:
    """`translateTimestampSince`: the age of a timestamp, `<unknown>` when it is unset."""
    then = parse_time(value)
    if then is None:
        return "<unknown>"
    return human_duration((now - then).total_seconds())


def age(obj: Object, now: datetime) -> str:
    return since(meta(obj).get("creationTimestamp"), now)


def meta(obj: Object) -> Mapping[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, Mapping) else {}


def dig(obj: Any, *path: str | int) -> Any:
    """obj[path0][path1]…, or None as soon as a step is missing."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or step >= len(obj):
                return None
        elif not isinstance(obj, Mapping):
            return None
        obj = obj[step] if isinstance(step, int) else obj.get(step)
    return obj


def items(obj: Any, *path: str) -> list[Any]:
    value = dig(obj, *path)
    return value if isinstance(value, list) else []


def name(obj: Object) -> str:
    return str(meta(obj).get("name") or "")


def format_labels(labels: Any) -> str:
    """`labels.FormatLabels`: `a=b,c=d` in key order, `<none>` when empty."""
    if not isinstance(labels, Mapping) or not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def format_selector(selector: Any) -> str:
    """`metav1.FormatLabelSelector`: matchLabels and matchExpressions as a selector string."""
    if not isinstance(selector, Mapping):
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or ()))
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    text = ",".join(parts)
    return text or "<none>"


def join_or(values: list[str], empty: str = "<none>") -> str:
    return ",".join(values) if values else empty
