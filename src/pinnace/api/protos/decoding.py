"""Kubernetes protobuf bodies → the JSON-shaped dicts a JSON body would give.

Called by the API server's body decoding for `application/vnd.kubernetes.protobuf`.
A body is the magic `k8s\\x00` and a `runtime.Unknown` message (typeMeta=1,
raw=2, contentEncoding=3, contentType=4); `raw` is the typed message, found by
the typeMeta's (apiVersion, kind) in `pinnace.api.protos.KINDS`. The field
tables (`fields.py` describes them) drive a walk over `kits.protowire` records;
the result follows Go's encoding/json of the same struct, as kube-apiserver
would store it after decoding: zero non-pointer structs written (`status: {}`,
zero times left out, as 1.33+ does), zero omitempty scalars left out, `[]byte` as base64.

Field numbers without a table entry are skipped, as kube-apiserver's protobuf
decoder does (strict field validation applies to JSON and YAML only).
"""

from __future__ import annotations

import base64
import datetime
import logging
from typing import Any

import orjson

from pinnace.api import protos
from pinnace.api.protos import fields
from pinnace.kits import protowire

log = logging.getLogger(__name__)

MAGIC = b"k8s\x00"

DecodeError = protowire.DecodeError


class UnknownKind(Exception):
    """The body is protobuf of a kind we have no table for."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"no protobuf decoding for {api_version}, Kind={kind}")
        self.api_version = api_version
        self.kind = kind


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf body as a JSON-shaped object with `apiVersion` and `kind` first."""
    if not body.startswith(MAGIC):
        raise DecodeError("the body does not start with the protobuf magic k8s\\x00")
    envelope = _fields(body[len(MAGIC) :])
    type_meta = _fields(_bytes(envelope.get(1, b"")))
    api_version = _string(type_meta.get(1, b""))
    kind = _string(type_meta.get(2, b""))
    encoding = _string(envelope.get(3, b""))
    if encoding:
        raise DecodeError(f"unsupported content encoding {encoding!r}")
    name = protos.message_for(api_version, kind)
    if name is None:
        raise UnknownKind(api_version, kind)
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj.update(message(name, _bytes(envelope.get(2, b""))))
    return obj


def message(name: str, data: bytes, path: str = "") -> dict[str, Any]:
    """One message as a JSON object, per its table in `protos.MESSAGES`."""
    table = protos.MESSAGES[name]
    values: dict[int, Any] = {}
    for number, wire, raw in protowire.records(data):
        spec = table.get(number)
        if spec is None:
            log.debug("protobuf: skipping unknown field %s%d of %s", path, number, name)
            continue
        json_name, type_, flags = spec
        where = f"{path}{json_name or type_}"
        if "m" in flags:
            key, value = _map_entry(type_, _bytes(raw), where)
            values.setdefault(number, {})[key] = value
        elif "*" in flags:
            items = values.setdefault(number, [])
            if wire == protowire.LENGTH_DELIMITED and _is_number(type_):
                items.extend(_number(type_, v) for v in _packed(type_, _bytes(raw)))
            else:
                items.append(_value(type_, wire, raw, where))
        else:
            values[number] = _value(type_, wire, raw, where)
    return _json(table, values)


def _json(table: fields.Message, values: dict[int, Any]) -> dict[str, Any]:
    """Go's encoding/json of the struct: what is written, in declaration order."""
    out: dict[str, Any] = {}
    for number, (json_name, type_, flags) in table.items():
        present = number in values
        value: Any = values.get(number)
        if "i" in flags:
            out.update(value if present else message(type_, b""))
        elif "?" in flags:
            if present or "!" in flags:
                out[json_name] = value
        elif "*" in flags or "m" in flags or type_ == "bytes":
            if value:
                out[json_name] = value
            elif "!" in flags:
                out[json_name] = value if present else None
        elif fields.is_message(type_) or type_ in fields.SPECIALS:
            value = value if present else _zero(type_)
            if value is None and type_ in ("time", "microtime"):
                continue  # a zero time is left out, as kube-apiserver 1.33+ writes it (omitzero)
            out[json_name] = value
        else:
            if not present:
                value = _zero(type_)
            if value or "!" in flags:
                out[json_name] = value
    return out


def _zero(type_: str) -> Any:
    if fields.is_message(type_):
        return message(type_, b"")
    if type_ in fields.SPECIALS:
        return _special(type_, b"")
    return {"string": "", "bytes": "", "bool": False, "double": 0.0, "float": 0.0}.get(type_, 0)


def _value(type_: str, wire: int, raw: int | bytes, where: str) -> Any:
    if fields.is_message(type_) or type_ in fields.SPECIALS or type_ in ("string", "bytes"):
        if wire != protowire.LENGTH_DELIMITED:
            raise DecodeError(f"{where}: wire type {wire} for a length-delimited field")
        data = _bytes(raw)
        if fields.is_message(type_):
            return message(type_, data, f"{where}.")
        if type_ in fields.SPECIALS:
            return _special(type_, data)
        if type_ == "bytes":
            return base64.b64encode(data).decode("ascii")
        return _string(data)
    expected = {"double": protowire.FIXED64, "float": protowire.FIXED32}.get(
        type_, protowire.VARINT
    )
    if wire != expected or not isinstance(raw, int):
        raise DecodeError(f"{where}: wire type {wire} for a {type_} field")
    return _number(type_, raw)


def _is_number(type_: str) -> bool:
    return type_ in fields.SCALARS and type_ not in ("string", "bytes")


def _packed(type_: str, data: bytes) -> list[int]:
    if type_ == "double":
        return protowire.packed_fixed(data, 8)
    if type_ == "float":
        return protowire.packed_fixed(data, 4)
    return protowire.packed_varints(data)


def _number(type_: str, raw: int) -> Any:
    if type_ == "bool":
        return raw != 0
    if type_ == "int32":
        return protowire.int32(raw)
    if type_ == "int64":
        return protowire.int64(raw)
    if type_ == "uint32":
        return protowire.uint32(raw)
    if type_ == "double":
        return protowire.double(raw)
    if type_ == "float":
        return protowire.float32(raw)
    return raw


def _map_entry(type_: str, data: bytes, where: str) -> tuple[str, Any]:
    """A map entry message: key=1 (always a string in Kubernetes), value=2."""
    key, value, seen = "", None, False
    for number, wire, raw in protowire.records(data):
        if number == 1:
            key = _string(_bytes(raw))
        elif number == 2:
            value, seen = _value(type_, wire, raw, f"{where}[{key}]"), True
    return key, value if seen else _zero(type_)


# -- special types: their own JSON forms ------------------------------------------


def _special(type_: str, data: bytes) -> Any:
    parts = _fields(data)
    if type_ in ("time", "microtime"):
        seconds = protowire.int64(_int(parts.get(1, 0)))
        nanos = protowire.int32(_int(parts.get(2, 0)))
        if seconds == 0 and nanos == 0:
            return None  # the zero Time, which Go writes as null
        return _timestamp(seconds, nanos, micro=type_ == "microtime")
    if type_ == "duration":
        return go_duration(protowire.int64(_int(parts.get(1, 0))))
    if type_ == "intorstring":
        if _int(parts.get(1, 0)) == 1:
            return _string(_bytes(parts.get(3, b"")))
        return protowire.int32(_int(parts.get(2, 0)))
    if type_ == "quantity":
        return _string(_bytes(parts.get(1, b""))) or "0"
    # fieldsv1 and rawextension carry raw JSON.
    raw = _bytes(parts.get(1, b""))
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"{type_}: the raw bytes are not JSON") from exc


def _timestamp(seconds: int, nanos: int, *, micro: bool) -> str:
    """metav1.Time as RFC 3339 in UTC to the second; MicroTime to the microsecond."""
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    try:
        when = epoch + datetime.timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError as exc:
        raise DecodeError(f"timestamp {seconds}s out of range") from exc
    text = (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}"
        f"T{when.hour:02d}:{when.minute:02d}:{when.second:02d}"
    )
    return f"{text}.{when.microsecond:06d}Z" if micro else f"{text}Z"


def go_duration(nanos: int) -> str:
    """Go's time.Duration.String(): `1h2m3.5s`, `1.5ms`, `0s`."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    u = abs(nanos)
    if u < 1_000:
        return f"{sign}{u}ns"
    if u < 1_000_000:
        return f"{sign}{_fraction(u, 3)}µs"
    if u < 1_000_000_000:
        return f"{sign}{_fraction(u, 6)}ms"
    hours, rest = divmod(u, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{_fraction(rest, 9)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return sign + text


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10**digits)
    tail = f"{frac:0{digits}d}".rstrip("0")
    return f"{whole}.{tail}" if tail else str(whole)


# -- small readers ------------------------------------------------------------------


def _fields(data: bytes) -> dict[int, int | bytes]:
    """The last value of each field number of a small message."""
    return {number: raw for number, _, raw in protowire.records(data)}


def _bytes(raw: int | bytes) -> bytes:
    if not isinstance(raw, bytes):
        raise DecodeError("a varint where a length-delimited field was expected")
    return raw


def _int(raw: int | bytes) -> int:
    if not isinstance(raw, int):
        raise DecodeError("a length-delimited value where a varint was expected")
    return raw


def _string(raw: int | bytes) -> str:
    # Go keeps invalid UTF-8 and its JSON encoder writes U+FFFD for it.
    return _bytes(raw).decode("utf-8", errors="replace")
