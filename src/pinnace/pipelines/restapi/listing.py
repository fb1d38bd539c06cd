"""KFP's list parameters over translated objects: `filter`, `sort_by`, `page_token`/`page_size`.

A list call reads the namespace's objects once through the API server, turns
them into KFP messages (dicts with KFP's snake_case keys) and then applies,
in this order: the filter (a JSON `Filter {predicates: [{operation, key,
string_value | int_value | long_value | timestamp_value | *_values}]}`,
operations by name or number, protojson's camelCase accepted), the sort
(`"created_at desc"`; default `created_at`, then the id) and the page. A page
token is the next offset; it is opaque to callers and carries the filter and
sort it was made for, so a token used with other parameters is a 400.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from pinnace.kits import clocks
from pinnace.pipelines.restapi import errors

Message = dict[str, Any]


class Operation(enum.IntEnum):
    """KFP's `Predicate.Operation` (backend/api/v2beta1/filter.proto)."""

    UNSPECIFIED = 0
    EQUALS = 1
    NOT_EQUALS = 2
    GREATER_THAN = 3
    GREATER_THAN_EQUALS = 5
    LESS_THAN = 6
    LESS_THAN_EQUALS = 7
    IN = 8
    IS_SUBSTRING = 9


_SCALARS = ("string_value", "int_value", "long_value", "timestamp_value", "double_value")
_LISTS = ("string_values", "int_values", "long_values")


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(w.title() for w in rest)


@dataclass(frozen=True, slots=True)
class Predicate:
    key: str
    operation: Operation
    value: Any
    timestamp: bool = False

    def matches(self, message: Message) -> bool:
        have = message.get(self.key)
        want = self.value
        if self.timestamp or (
            isinstance(want, str) and self.key.endswith("_at") and isinstance(have, str)
        ):
            have, want = _when(have), _when(want) if not isinstance(want, list) else want
        op = self.operation
        if op is Operation.IN:
            return have in want
        if op is Operation.IS_SUBSTRING:
            return isinstance(have, str) and str(want) in have
        if op is Operation.EQUALS:
            return bool(have == want)
        if op is Operation.NOT_EQUALS:
            return bool(have != want)
        if have is None:
            return False
        try:
            if op is Operation.GREATER_THAN:
                return bool(have > want)
            if op is Operation.GREATER_THAN_EQUALS:
                return bool(have >= want)
            if op is Operation.LESS_THAN:
                return bool(have < want)
            return bool(have <= want)
        except TypeError:
            return False


def _when(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return clocks.parse_rfc3339(value)
        except ValueError:
            return value
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return value


def _operation(raw: Any) -> Operation:
    try:
        if isinstance(raw, str) and not raw.isdigit():
            return Operation[raw.upper()]
        return Operation(int(raw))
    except (KeyError, ValueError) as exc:
        raise errors.InvalidArgument(f"filter: unknown predicate operation {raw!r}") from exc


def _predicate(raw: Any, index: int) -> Predicate:
    where = f"filter.predicates[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str) or not raw["key"]:
        raise errors.InvalidArgument(f"{where}.key: a predicate needs a key")
    operation = _operation(raw.get("operation", raw.get("op", 0)))
    if operation is Operation.UNSPECIFIED:
        raise errors.InvalidArgument(f"{where}.operation: an operation is required")
    for name in (*_SCALARS, *_LISTS):
        for spelling in (name, _camel(name)):
            if spelling in raw:
                value = raw[spelling]
                if name in _LISTS and isinstance(value, Mapping):
                    value = value.get("values", [])  # v1beta1's {values: [...]}
                if name in ("int_value", "long_value"):
                    value = int(value)
                if name in ("int_values", "long_values"):
                    value = [int(v) for v in value]
                if operation is Operation.IN and name not in _LISTS:
                    raise errors.InvalidArgument(f"{where}: IN needs a list of values")
                return Predicate(raw["key"], operation, value, name == "timestamp_value")
    raise errors.InvalidArgument(f"{where}: a predicate needs a value")


def parse_filter(text: str | None) -> list[Predicate]:
    """The predicates of a `filter` query parameter (JSON; empty → none)."""
    if not text:
        return []
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidArgument(f"filter: not valid JSON ({exc})") from exc
    if not isinstance(raw, Mapping):
        raise errors.InvalidArgument("filter: must be a JSON object with predicates")
    predicates = raw.get("predicates") or []
    if not isinstance(predicates, list):
        raise errors.InvalidArgument("filter.predicates: must be a list")
    return [_predicate(p, i) for i, p in enumerate(predicates)]


@dataclass(frozen=True, slots=True)
class Query:
    """One list call's parameters, parsed."""

    predicates: tuple[Predicate, ...] = ()
    sort_key: str = "created_at"
    descending: bool = False
    page_size: int = 20
    offset: int = 0
    fingerprint: str = ""


def _fingerprint(filter_text: str, sort_by: str) -> str:
    return hashlib.sha256(f"{filter_text}\x00{sort_by}".encode()).hexdigest()[:12]


def query(params: Mapping[str, str], *, default_size: int = 20, max_size: int = 1000) -> Query:
    """Parse `filter`, `sort_by`, `page_size` and `page_token` (KFP's query parameters)."""
    filter_text = params.get("filter") or ""
    sort_by = (params.get("sort_by") or "").strip()
    fields = sort_by.split()
    if len(fields) > 2 or (len(fields) == 2 and fields[1].lower() not in ("asc", "desc")):
        raise errors.InvalidArgument(f"sort_by: {sort_by!r} is not '<field> [asc|desc]'")
    raw_size = params.get("page_size") or "0"
    try:
        size = int(raw_size)
    except ValueError as exc:
        raise errors.InvalidArgument(f"page_size: {raw_size!r} is not an integer") from exc
    if size < 0:
        raise errors.InvalidArgument("page_size: must not be negative")
    fingerprint = _fingerprint(filter_text, sort_by)
    offset = 0
    token = params.get("page_token") or ""
    if token:
        try:
            decoded = orjson.loads(base64.urlsafe_b64decode(token.encode()))
            offset = int(decoded["offset"])
            made_for = str(decoded["for"])
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.InvalidArgument("page_token: not a token this server gave out") from exc
        if made_for != fingerprint:
            raise errors.InvalidArgument("page_token: was made for another filter or sort_by")
    return Query(
        predicates=tuple(parse_filter(filter_text)),
        sort_key=fields[0] if fields else "created_at",
        descending=len(fields) == 2 and fields[1].lower() == "desc",
        page_size=min(size or default_size, max_size),
        offset=offset,
        fingerprint=fingerprint,
    )


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Message]
    total_size: int
    next_page_token: str


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value))


def page(
    messages: Sequence[Message],
    q: Query,
    *,
    id_key: str,
    extra: Callable[[Message], bool] | None = None,
) -> Page:
    """Filter, sort and cut `messages` as `q` says."""
    kept = [
        m
        for m in messages
        if all(p.matches(m) for p in q.predicates) and (extra is None or extra(m))
    ]
    kept.sort(key=lambda m: _sort_value(m.get(id_key)))
    kept.sort(key=lambda m: _sort_value(m.get(q.sort_key)), reverse=q.descending)
    end = q.offset + q.page_size
    token = ""
    if end < len(kept):
        token = base64.urlsafe_b64encode(
            orjson.dumps({"offset": end, "for": q.fingerprint})
        ).decode()
    return Page(kept[q.offset : end], len(kept), token)
