"""Kubernetes label and field selectors: parse, match, print.

Used on both sides of the API: the API server filters lists and watches with
`parse_labels` / `parse_fields`, clients (informer caches, controllers) match
cached objects with the same code, and controllers turn a Deployment's or
Service's `LabelSelector` object into a matcher with `from_label_selector`.
Pure and dependency-free; parse errors carry apimachinery's wording
(`labels.Parse`, `fields.ParseSelector`) so the API server can put them in a
400 Status verbatim.

About 470 lines, past the usual 400: the grammar, the matchers and the
printer of one concept are kept together so the API server and the clients
import a single module.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    """A selector string or object that does not parse; the message is apimachinery's."""


class Op(enum.StrEnum):
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_NAME_RE = re.compile(f"^{_NAME}$")
_DNS1123_SUBDOMAIN_RE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    f"validation is '{_NAME}')"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',"
    f"  or '12345', regex used for validation is '(({_NAME})?'"
)


def _invalid(value: str, msg: str) -> SelectorError:
    return SelectorError(f'unable to parse requirement: <nil>: Invalid value: "{value}": {msg}')


def validate_label_key(key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        raise _invalid(key, "prefix part must be non-empty")
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN_RE.match(prefix)):
        raise _invalid(key, "prefix part must be a valid DNS-1123 subdomain")
    if not name:
        raise _invalid(key, "name part must be non-empty")
    if len(name) > 63:
        raise _invalid(key, "name part must be no more than 63 characters")
    if not _NAME_RE.match(name):
        raise _invalid(key, _NAME_MSG)


def validate_label_value(value: str) -> None:
    if len(value) > 63:
        raise _invalid(value, "must be no more than 63 characters")
    if value and not _NAME_RE.match(value):
        raise _invalid(value, _VALUE_MSG)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One `key op values` term of a label selector."""

    key: str
    op: Op
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.op
        if op is Op.EXISTS:
            return self.key in labels
        if op is Op.DOES_NOT_EXIST:
            return self.key not in labels
        value = labels.get(self.key)
        if op in (Op.EQUALS, Op.DOUBLE_EQUALS, Op.IN):
            return value is not None and value in self.values
        if op in (Op.NOT_EQUALS, Op.NOT_IN):
            return value is None or value not in self.values
        if value is None:
            return False
        try:
            have, want = int(value), int(self.values[0])
        except ValueError:
            return False
        return have > want if op is Op.GREATER_THAN else have < want

    def __str__(self) -> str:
        op = self.op
        if op is Op.EXISTS:
            return self.key
        if op is Op.DOES_NOT_EXIST:
            return f"!{self.key}"
        if op in (Op.IN, Op.NOT_IN):
            return f"{self.key} {op.value} ({','.join(self.values)})"
        symbol = {Op.GREATER_THAN: ">", Op.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{self.values[0]}"


def requirement(key: str, op: Op, values: tuple[str, ...] | list[str] = ()) -> Requirement:
    """A validated requirement (apimachinery's `NewRequirement`); values sorted, deduplicated."""
    validate_label_key(key)
    vals = tuple(sorted(set(values)))
    if op in (Op.IN, Op.NOT_IN):
        if not vals:
            raise SelectorError(
                "unable to parse requirement: <nil>: Required value: for 'in', 'notin' operators, "
                "values set can't be empty"
            )
    elif op in (Op.EQUALS, Op.DOUBLE_EQUALS, Op.NOT_EQUALS):
        if len(vals) != 1:
            raise SelectorError(
                "unable to parse requirement: <nil>: Invalid value: "
                f"{list(vals)}: exact-match compatibility requires one single value"
            )
    elif op in (Op.EXISTS, Op.DOES_NOT_EXIST):
        if vals:
            raise SelectorError(
                "unable to parse requirement: <nil>: Forbidden: values set must be empty for "
                "exists and does not exist"
            )
    elif len(vals) != 1 or not re.fullmatch(r"-?\d+", vals[0]):
        raise SelectorError(
            "unable to parse requirement: <nil>: Invalid value: "
            f"{list(vals)}: for 'Gt', 'Lt' operators, the value must be an integer"
        )
    for v in vals:
        validate_label_value(v)
    return Requirement(key, op, vals)


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A conjunction of requirements; empty matches everything, `NOTHING` matches nothing."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements and not self.nothing

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(nothing=True)

# -- label selector parsing (apimachinery's labels.Parse: lexer + recursive descent) -----------

_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_SYMBOLS = {
    ")": ")",
    ",": ",",
    "!": "!",
    "==": "==",
    "=": "=",
    ">": ">",
    "<": "<",
    "!=": "!=",
    "(": "(",
}
_KEYWORDS = {"in": "in", "notin": "notin"}
_ID = "id"
_END = "end"
_ERROR = "error"
_BINARY_OPS = {
    "in": Op.IN,
    "notin": Op.NOT_IN,
    "=": Op.EQUALS,
    "==": Op.DOUBLE_EQUALS,
    "!=": Op.NOT_EQUALS,
    ">": Op.GREATER_THAN,
    "<": Op.LESS_THAN,
}
_BINARY_NAMES = "in, notin, =, ==, !=, gt, lt"


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal); kind is the symbol itself, a keyword, `id`, `error` or `end`."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            tokens.append((_END, ""))
            return tokens
        if text[i] in _SPECIAL:
            buf, last, j = "", None, i
            while j < n and text[j] in _SPECIAL:
                buf += text[j]
                if buf in _SYMBOLS:
                    last = (buf, j + 1)
                elif last is not None:
                    break
                j += 1
            if last is None:
                tokens.append((_ERROR, f"error expected: keyword found '{buf}'"))
                tokens.append((_END, ""))
                return tokens
            tokens.append((_SYMBOLS[last[0]], last[0]))
            i = last[1]
        else:
            j = i
            while j < n and text[j] not in _SPECIAL and text[j] not in _WHITESPACE:
                j += 1
            word = text[i:j]
            tokens.append((_KEYWORDS.get(word, _ID), word))
            i = j


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def _peek(self, values: bool = True) -> tuple[str, str]:
        kind, lit = self.tokens[self.pos]
        if values and kind in _KEYWORDS:
            kind = _ID
        return kind, lit

    def _next(self, values: bool = True) -> tuple[str, str]:
        tok = self._peek(values)
        if self.pos < len(self.tokens) - 1:
            self.pos += 1
        return tok

    def parse(self) -> LabelSelector:
        reqs: list[Requirement] = []
        while True:
            kind, lit = self._peek()
            if kind in (_ID, "!"):
                try:
                    reqs.append(self._requirement())
                except SelectorError as exc:
                    msg = str(exc)
                    if not msg.startswith("unable to parse requirement"):
                        msg = f"unable to parse requirement: {msg}"
                    raise SelectorError(msg) from None
                kind, lit = self._next()
                if kind == _END:
                    break
                if kind != ",":
                    raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
                kind2, lit2 = self._peek()
                if kind2 not in (_ID, "!"):
                    raise SelectorError(f"found '{lit2}', expected: identifier after ','")
            elif kind == _END:
                break
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
        reqs.sort(key=lambda r: r.key)
        return LabelSelector(tuple(reqs))

    def _requirement(self) -> Requirement:
        kind, lit = self._next()
        negated = kind == "!"
        if negated:
            kind, lit = self._next()
        if kind != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        key = lit
        validate_label_key(key)
        if self._peek()[0] in (_END, ","):
            return requirement(key, Op.DOES_NOT_EXIST if negated else Op.EXISTS)
        if negated:
            return requirement(key, Op.DOES_NOT_EXIST)  # `!a=b`: the validation below rejects it
        kind, lit = self._next(values=False)
        op = _BINARY_OPS.get(kind)
        if op is None:
            raise SelectorError(f"found '{lit}', expected: {_BINARY_NAMES}")
        if op in (Op.IN, Op.NOT_IN):
            return requirement(key, op, self._values())
        return requirement(key, op, [self._exact_value()])

    def _exact_value(self) -> str:
        if self._peek()[0] in (_END, ","):
            return ""
        kind, lit = self._next()
        if kind != _ID:
            raise SelectorError(f"found '{lit}', expected: identifier")
        return lit

    def _values(self) -> list[str]:
        kind, lit = self._next()
        if kind != "(":
            raise SelectorError(f"found '{lit}' expected: '('")
        kind, lit = self._peek()
        if kind == ")":
            self._next()
            return [""]
        if kind not in (_ID, ","):
            raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")
        values: list[str] = []
        while True:
            kind, lit = self._next()
            if kind == _ID:
                values.append(lit)
                kind2, lit2 = self._peek()
                if kind2 == ")":
                    self._next()
                    return values
                if kind2 != ",":
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif kind == ",":
                if not values:
                    values.append("")
                kind2, _ = self._peek()
                if kind2 == ")":
                    self._next()
                    values.append("")
                    return values
                if kind2 == ",":
                    self._next()
                    values.append("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")


def parse_labels(text: str | None) -> LabelSelector:
    """Parse a `?labelSelector=` string; an empty string selects everything."""
    if not text or not text.strip():
        return EVERYTHING
    return _Parser(text).parse()


def from_label_selector(obj: Mapping[str, Any] | None) -> LabelSelector:
    """A `metav1.LabelSelector` object (`matchLabels`/`matchExpressions`) as a matcher.

    `None` selects nothing and `{}` selects everything, as `LabelSelectorAsSelector` does.
    """
    if obj is None:
        return NOTHING
    reqs: list[Requirement] = []
    for key, value in sorted((obj.get("matchLabels") or {}).items()):
        reqs.append(requirement(key, Op.EQUALS, [str(value)]))
    ops = {"In": Op.IN, "NotIn": Op.NOT_IN, "Exists": Op.EXISTS, "DoesNotExist": Op.DOES_NOT_EXIST}
    for expr in obj.get("matchExpressions") or []:
        op = ops.get(str(expr.get("operator")))
        if op is None:
            raise SelectorError(f'"{expr.get("operator")}" is not a valid label selector operator')
        reqs.append(requirement(str(expr.get("key")), op, list(expr.get("values") or [])))
    reqs.sort(key=lambda r: r.key)
    return LabelSelector(tuple(reqs))


def label_selector_string(obj: Mapping[str, Any] | None) -> str:
    """The query-string form of a `LabelSelector` object (for `?labelSelector=`)."""
    return str(from_label_selector(obj))


# -- field selectors --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    op: Op  # EQUALS, DOUBLE_EQUALS or NOT_EQUALS
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        equal = fields.get(self.field, "") == self.value
        return not equal if self.op is Op.NOT_EQUALS else equal

    def __str__(self) -> str:
        return f"{self.field}{self.op.value}{escape_field_value(self.value)}"


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """A conjunction of field terms matched against a flat dict of field values."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(r.matches(fields) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def parse_fields(text: str | None) -> FieldSelector:
    """Parse `a=b,c!=d` (apimachinery's `fields.ParseSelector`); values may escape `\\ , =`."""
    if not text:
        return FieldSelector()
    terms: list[FieldRequirement] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        terms.append(FieldRequirement(lhs, op, _unescape(rhs)))
    return FieldSelector(tuple(terms))


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    start, escaped = 0, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, Op, str] | None:
    for i in range(len(term)):
        for symbol, op in (("!=", Op.NOT_EQUALS), ("==", Op.DOUBLE_EQUALS), ("=", Op.EQUALS)):
            if term.startswith(symbol, i):
                return term[:i], op, term[i + len(symbol) :]
    return None


def _unescape(value: str) -> str:
    if "\\" not in value and "," not in value and "=" not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            if nxt not in ("\\", ",", "="):
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{nxt}")
            out.append(nxt)
        elif ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character: {ch}")
        else:
            out.append(ch)
    return "".join(out)
