"""`-p name=value` on `pinnace run`: each value typed by the pipeline's inputDefinitions.

`runs` calls `parse(pipeline, pairs)` with the loaded graph (`pipelines.loading`)
and the raw strings; what comes back is the run's `runtimeConfig.parameters`.
A STRING takes the text as it is (`-p msg=42` is the string "42"); numbers,
booleans, lists and structs are read as their JSON/YAML-ish literal. Every
problem is collected and raised together as `BadParameters`, naming the
parameter; the server's admission then checks the arguments once more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pinnace.pipelines import specs

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


class BadParameters(ValueError):
    """One or more `-p` values could not become the pipeline's parameters."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def split(pair: str) -> tuple[str, str]:
    name, sep, value = pair.partition("=")
    if not sep or not name.strip():
        raise BadParameters([f"-p {pair!r}: expected name=value"])
    return name.strip(), value


def typed(ptype: specs.ParameterType, text: str) -> Any:
    """`text` as a value of `ptype`; raises ValueError naming what was expected."""
    if ptype in (specs.ParameterType.STRING, specs.ParameterType.UNSPECIFIED):
        return text
    if ptype is specs.ParameterType.NUMBER_INTEGER:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if ptype is specs.ParameterType.NUMBER_DOUBLE:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if ptype is specs.ParameterType.BOOLEAN:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    want, kind = (
        (list, "a JSON list") if ptype is specs.ParameterType.LIST else (dict, "a JSON object")
    )
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError(f"expected {kind}, got {text!r}") from None
    if not isinstance(value, want):
        raise ValueError(f"expected {kind}, got {text!r}")
    return value


def parse(pipeline: specs.Pipeline, pairs: Iterable[str]) -> dict[str, Any]:
    """The run's parameters from `name=value` strings (a later `-p` for a name wins)."""
    inputs = pipeline.root.inputs.parameters
    values: dict[str, Any] = {}
    problems: list[str] = []
    for pair in pairs:
        try:
            name, text = split(pair)
        except BadParameters as exc:
            problems.extend(exc.problems)
            continue
        definition = inputs.get(name)
        if definition is None:
            known = ", ".join(sorted(inputs)) or "none"
            problems.append(f"-p {name}: the pipeline has no such input (inputs: {known})")
            continue
        try:
            values[name] = typed(definition.type, text)
        except ValueError as exc:
            problems.append(f"-p {name} ({definition.type.value}): {exc}")
    if problems:
        raise BadParameters(problems)
    return values
