"""The small CEL subset the kfp compiler writes, parsed and evaluated without `eval()`.

Trigger conditions (`dsl.If/Elif/Else`, `dsl.Condition`) compile to
expressions such as
`!(int(inputs.parameter_values['pipelinechannel--x']) < 5) && inputs.parameter_values['y'] == 'heads'`:
`||`, `&&`, `!`, parentheses, the six comparisons, `int()`, `double()`,
`string()`, `inputs.parameter_values['name']`, and string, number, `true`,
`false` and `null` literals. Loop sub-variables compile to the selector
`parseJson(string_value)["key"]`. `checks` parses every expression when a
run is admitted; the engine (`advancing`) evaluates them against a task's
resolved inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pinnace.pipelines.errors import ExpressionError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
      | (?P<string>'[^']*'|"(?:[^"\\]|\\.)*")
      | (?P<op>\|\||&&|==|!=|<=|>=|<|>|!|\(|\)|\[|\]|\.)
      | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    argument: Expr


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr


Expr = Literal | Parameter | Call | Not | Binary

_FUNCTIONS = ("int", "double", "string")
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(f"unexpected {text[pos:].strip()[:20]!r} at {pos} in {text!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok = self.peek()
        if (
            tok is None
            or (value is not None and tok[1] != value)
            or (kind is not None and tok[0] != kind)
        ):
            want = value or kind or "more"
            got = tok[1] if tok else "the end"
            raise ExpressionError(f"expected {want!r}, got {got!r} in {self.text!r}")
        self.pos += 1
        return tok[1]

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "op" and tok[1] == value

    def parse(self) -> Expr:
        expr = self.disjunction()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.text!r}")  # type: ignore[index]
        return expr

    def disjunction(self) -> Expr:
        left = self.conjunction()
        while self.at("||"):
            self.take()
            left = Binary("||", left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.unary()
        while self.at("&&"):
            self.take()
            left = Binary("&&", left, self.unary())
        return left

    def unary(self) -> Expr:
        if self.at("!"):
            self.take()
            return Not(self.unary())
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.primary()
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in _COMPARISONS:
            self.take()
            return Binary(tok[1], left, self.primary())
        return left

    def primary(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise ExpressionError(f"unexpected end of {self.text!r}")
        kind, value = tok
        if kind == "op" and value == "(":
            self.take()
            inner = self.disjunction()
            self.take(")")
            return inner
        if kind == "number":
            self.take()
            return Literal(float(value) if any(c in value for c in ".eE") else int(value))
        if kind == "string":
            self.take()
            return Literal(value[1:-1] if value[0] == "'" else json.loads(value))
        if kind == "name":
            self.take()
            if value in ("true", "false"):
                return Literal(value == "true")
            if value == "null":
                return Literal(None)
            if value in _FUNCTIONS:
                self.take("(")
                arg = self.disjunction()
                self.take(")")
                return Call(value, arg)
            if value == "inputs":
                self.take(".")
                self.take("parameter_values")
                self.take("[")
                raw = self.take(kind="string")
                self.take("]")
                return Parameter(raw[1:-1] if raw[0] == "'" else json.loads(raw))
        raise ExpressionError(f"unsupported {value!r} in {self.text!r}")


def parse(text: str) -> Expr:
    return _Parser(text).parse()


def _convert(function: str, value: Any) -> Any:
    try:
        if function == "int":
            return int(float(value)) if isinstance(value, str) and "." in value else int(value)
        if function == "double":
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ExpressionError(f"{function}({value!r}): {exc}") from exc
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def evaluate(expr: Expr, parameters: Mapping[str, Any]) -> Any:
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Parameter):
        if expr.name not in parameters:
            raise ExpressionError(f"no input parameter {expr.name!r}")
        return parameters[expr.name]
    if isinstance(expr, Call):
        return _convert(expr.function, evaluate(expr.argument, parameters))
    if isinstance(expr, Not):
        return not _truth(evaluate(expr.operand, parameters))
    if expr.op == "&&":
        return _truth(evaluate(expr.left, parameters)) and _truth(evaluate(expr.right, parameters))
    if expr.op == "||":
        return _truth(evaluate(expr.left, parameters)) or _truth(evaluate(expr.right, parameters))
    left, right = evaluate(expr.left, parameters), evaluate(expr.right, parameters)
    if expr.op == "==":
        return _same(left, right)
    if expr.op == "!=":
        return not _same(left, right)
    try:
        if expr.op == "<":
            return bool(left < right)
        if expr.op == "<=":
            return bool(left <= right)
        if expr.op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError as exc:
        raise ExpressionError(f"cannot compare {left!r} {expr.op} {right!r}") from exc


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def _truth(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"expected a boolean, got {value!r}")
    return value


def condition(text: str, parameters: Mapping[str, Any]) -> bool:
    """Whether a trigger condition holds for these input parameter values."""
    return _truth(evaluate(parse(text), parameters))


_SELECTOR = re.compile(
    r"""^\s*parseJson\(string_value\)\[\s*("(?:[^"\\]|\\.)*"|'[^']*'|\d+)\s*\]\s*$"""
)


def parse_selector(text: str) -> str | int:
    """`parseJson(string_value)["key"]` → "key" (an integer index for `[0]`)."""
    m = _SELECTOR.match(text)
    if m is None:
        raise ExpressionError(f"unsupported parameterExpressionSelector {text!r}")
    raw = m.group(1)
    if raw.isdigit():
        return int(raw)
    return raw[1:-1] if raw[0] == "'" else str(json.loads(raw))


def select(text: str, value: Any) -> Any:
    """Apply a selector to a parameter value (a JSON string, or already a dict/list)."""
    key = parse_selector(text)
    data = json.loads(value) if isinstance(value, str) else value
    try:
        return data[key]
    except (KeyError, IndexError, TypeError) as exc:
        raise ExpressionError(f"{text}: no {key!r} in {value!r}") from exc


def json_list(raw: str) -> list[Any]:
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ExpressionError(f"not a JSON list: {exc}") from exc
    if not isinstance(items, list):
        raise ExpressionError(f"expected a JSON list, got {type(items).__name__}")
    return items
