"""`meta.k8s.io/v1 Table` rendering for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.

The list/get/watch handlers call `table(info, objects, now=…)` when kubectl asks
for a Table (`kubectl get`, `-w`). Built-in kinds print through
`pinnace.api.printers` (the real apiserver's columns, ages rendered server
side); custom kinds print their CRD's additionalPrinterColumns, evaluated as
JSONPath (`date` cells are the raw timestamp: kubectl turns them into an age),
after a leading Name column, or Name + Age when the CRD declares none. Each row
carries the object as `PartialObjectMetadata` (kubectl needs the metadata for
`-w`, `-l` and `--show-labels`), or whole with `includeObject=Object`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.ext.parser import parse

from pinnace.api import printers
from pinnace.api.infos import PrinterColumn, ResourceInfo
from pinnace.api.printers import Column, Printer, Row, columns
from pinnace.kits.kube.objects import Object

log = logging.getLogger(__name__)

_NAME = Column("Name", format="name", description="Name must be unique within a namespace.")
_CRD_AGE = PrinterColumn("Age", "date", ".metadata.creationTimestamp")
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def columns_for(info: ResourceInfo) -> list[dict[str, Any]]:
    """The `columnDefinitions` of `info`'s Table."""
    return [c.as_dict() for c in _printer(info).columns]


def row_for(
    info: ResourceInfo,
    obj: Object,
    *,
    now: datetime | None = None,
    include_object: str = "Metadata",
) -> dict[str, Any]:
    """One `rows[]` entry: `cells` in column order and `object` (see `include_object`).

    `now` (ages of built-in kinds) defaults to the current UTC time; pass the
    server clock's time in tests.
    """
    row = _printer(info).row(obj, now or datetime.now(UTC))
    out: dict[str, Any] = {"cells": row.cells}
    if row.conditions:
        out["conditions"] = row.conditions
    if include_object == "Object":
        out["object"] = obj
    elif include_object != "None":
        out["object"] = partial_object_metadata(obj)
    return out


def table(
    info: ResourceInfo,
    objects: Iterable[Object],
    *,
    now: datetime | None = None,
    resource_version: str = "",
    continue_token: str = "",
    include_object: str = "Metadata",
    headers: bool = True,
) -> dict[str, Any]:
    """The whole Table of a list (or of one object, or of one watch event).

    `headers=False` leaves `columnDefinitions` empty, as the apiserver does for
    watch events after the first.
    """
    now = now or datetime.now(UTC)
    metadata: dict[str, str] = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns_for(info) if headers else [],
        "rows": [row_for(info, o, now=now, include_object=include_object) for o in objects],
    }


def partial_object_metadata(obj: Object) -> dict[str, Any]:
    """`meta.k8s.io/v1 PartialObjectMetadata` of `obj`."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def _printer(info: ResourceInfo) -> Printer:
    if info.is_custom:
        return _custom_printer(info.printer_columns or (_CRD_AGE,))
    return printers.for_resource(info.group, info.plural) or printers.default()


@functools.lru_cache(maxsize=256)
def _custom_printer(columns: tuple[PrinterColumn, ...]) -> Printer:
    paths = [_compile(c.json_path) for c in columns]

    def row(obj: Object, now: datetime) -> Row:
        meta = obj.get("metadata") or {}
        cells: list[Any] = [meta.get("name", "")]
        for column, path in zip(columns, paths, strict=True):
            cells.append(_cell(column.type, path, obj, now))
        return Row(cells)

    defs = tuple(Column(c.name, c.type, c.format, c.description, c.priority) for c in columns)
    return Printer((_NAME, *defs), row)


def kube_to_jsonpath(expr: str) -> str:
    """A Kubernetes JSONPath (`.status.x`, `{.a['b.c']}`) in jsonpath-ng syntax (`$.status.x`)."""
    text = expr.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    text = text.removeprefix("$")
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "[":
            depth, j = 0, i
            while j < len(text):
                depth += {"[": 1, "]": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append(text[i : j + 1])
            i = j + 1
        elif ch == ".":
            j, field = i + 1, []
            while j < len(text) and text[j] not in ".[":
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                field.append(text[j])
                j += 1
            name = "".join(field)
            if name:
                out.append("." + name if _PLAIN_FIELD.match(name) else f"[{json.dumps(name)}]")
            i = j
        else:
            raise ValueError(f"unexpected {ch!r} in JSONPath {expr!r}")
    return "$" + "".join(out)


@functools.lru_cache(maxsize=512)
def _compile(expr: str) -> JSONPath | None:
    try:
        return parse(kube_to_jsonpath(expr))
    except Exception as exc:  # jsonpath-ng raises bare Exceptions for some syntax errors
        log.warning("printer column JSONPath %r does not parse: %s", expr, exc)
        return None


def _cell(type_: str, path: JSONPath | None, obj: Object, now: datetime) -> Any:
    if path is None:
        return None
    try:
        found = path.find(obj)
    except Exception:  # a filter over mistyped data; the apiserver prints nothing
        return None
    if not found:
        return None
    value = found[0].value
    if value is None:
        return None
    if type_ == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        return json.dumps(value, separators=(",", ":"))
    if type_ == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if type_ == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if type_ == "boolean" and isinstance(value, bool):
        return value
    if type_ == "date" and isinstance(value, str):
        # The apiextensions table convertor shows dates as ages, as kubectl prints them.
        return columns.since(value, now) if columns.parse_time(value) else "<invalid>"
    return None
