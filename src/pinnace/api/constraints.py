"""Value constraints of an OpenAPI v3 schema node, worded like kube-openapi.

`violations(value, schema, path)` checks one value against the keywords that do
not depend on its children: enum, pattern, minimum/maximum (+exclusive),
multipleOf, min/maxLength, min/maxItems, uniqueItems, min/maxProperties and the
cheap string formats. `pinnace.apiserver.validating` calls it for each node and
turns each `Problem` into a Status cause; `go_value` renders a bad value the way
apimachinery's `field.Error` prints it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LINE_BREAKS = str.maketrans("", "", "\r\n")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One violated keyword: the cause reason, the value to show, and the detail text."""

    reason: str
    value: Any
    detail: str


def go_value(value: Any) -> str:
    """A bad value as `field.Error.ErrorBody` prints it (strings quoted, null as "null")."""
    if value is None:
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _quoted(values: list[Any]) -> str:
    return ", ".join(
        json.dumps(v, ensure_ascii=False) if isinstance(v, str) else json.dumps(v) for v in values
    )


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _format_ok(fmt: str, value: str) -> bool:
    if fmt == "date-time":
        return bool(_DATE_TIME.match(value))
    if fmt == "date":
        return bool(_DATE.match(value))
    if fmt == "uuid":
        return bool(_UUID.match(value))
    if fmt == "byte":
        try:  # Go's base64 decoder (how kube reads []byte) skips \r and \n
            base64.b64decode(value.translate(_LINE_BREAKS), validate=True)
        except (binascii.Error, ValueError):
            return False
        return True
    if fmt in ("ipv4", "ipv6"):
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return False
        return addr.version == (4 if fmt == "ipv4" else 6)
    if fmt == "cidr":
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        return True
    return True  # formats kube-openapi does not check, or we do not (cheaply)


def _numeric(value: Any, schema: Mapping[str, Any], path: str) -> list[Problem]:
    out: list[Problem] = []
    if "minimum" in schema:
        low = schema["minimum"]
        if schema.get("exclusiveMinimum") and value <= low:
            out.append(Problem(INVALID, value, f"{path} in body should be greater than {low}"))
        elif value < low:
            detail = f"{path} in body should be greater than or equal to {low}"
            out.append(Problem(INVALID, value, detail))
    if "maximum" in schema:
        high = schema["maximum"]
        if schema.get("exclusiveMaximum") and value >= high:
            out.append(Problem(INVALID, value, f"{path} in body should be less than {high}"))
        elif value > high:
            detail = f"{path} in body should be less than or equal to {high}"
            out.append(Problem(INVALID, value, detail))
    step = schema.get("multipleOf")
    if step and (value / step) != int(value / step):
        out.append(Problem(INVALID, value, f"{path} in body should be a multiple of {step}"))
    return out


def _string(value: str, schema: Mapping[str, Any], path: str) -> list[Problem]:
    out: list[Problem] = []
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        limit = int(schema["maxLength"])
        unit = "byte" if limit == 1 else "bytes"
        out.append(Problem(TOO_LONG, value, f"may not be more than {limit} {unit}"))
    if "minLength" in schema and len(value) < schema["minLength"]:
        detail = f"{path} in body should be at least {schema['minLength']} chars long"
        out.append(Problem(INVALID, value, detail))
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        compiled = _compiled(pattern)
        if compiled is not None and not compiled.search(value):
            out.append(Problem(INVALID, value, f"{path} in body should match '{pattern}'"))
    fmt = schema.get("format")
    if isinstance(fmt, str) and not _format_ok(fmt, value):
        out.append(Problem(INVALID, value, f'{path} in body must be of type {fmt}: "{value}"'))
    return out


def _array(value: list[Any], schema: Mapping[str, Any], path: str) -> list[Problem]:
    out: list[Problem] = []
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.append(Problem(TOO_MANY, len(value), f"must have at most {schema['maxItems']} items"))
    if "minItems" in schema and len(value) < schema["minItems"]:
        detail = f"{path} in body should have at least {schema['minItems']} items"
        out.append(Problem(INVALID, value, detail))
    if schema.get("uniqueItems"):
        seen = [json.dumps(v, sort_keys=True) for v in value]
        if len(set(seen)) != len(seen):
            out.append(Problem(INVALID, value, f"{path} in body shouldn't contain duplicates"))
    return out


def violations(value: Any, schema: Mapping[str, Any], path: str) -> list[Problem]:
    """Every constraint of `schema` (a resolved node) that `value` violates."""
    out: list[Problem] = []
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        out.append(Problem(NOT_SUPPORTED, value, "supported values: " + _quoted(enum)))
    if isinstance(value, bool):
        return out
    if isinstance(value, (int, float)):
        out.extend(_numeric(value, schema, path))
    elif isinstance(value, str):
        out.extend(_string(value, schema, path))
    elif isinstance(value, list):
        out.extend(_array(value, schema, path))
    elif isinstance(value, dict):
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            detail = f"{path} in body should have at least {schema['minProperties']} properties"
            out.append(Problem(INVALID, value, detail))
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            detail = f"{path} in body should have at most {schema['maxProperties']} properties"
            out.append(Problem(INVALID, value, detail))
    return out
