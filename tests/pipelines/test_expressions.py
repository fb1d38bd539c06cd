"""The CEL subset of compiled trigger conditions and loop selectors, evaluated without eval()."""

from __future__ import annotations

from typing import Any

import pytest

from pinnace.pipelines import errors, expressions

P = "inputs.parameter_values"


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        pytest.param(f"{P}['c'] == 'heads'", {"c": "heads"}, True, id="string-eq"),
        pytest.param(f"!({P}['c'] == 'heads')", {"c": "heads"}, False, id="negated"),
        pytest.param(f"{P}['b'] == true", {"b": True}, True, id="bool"),
        pytest.param(f"{P}['b'] == true", {"b": "true"}, False, id="string-is-not-bool"),
        pytest.param(f"int({P}['n']) < 5000", {"n": 4999.0}, True, id="int-of-float"),
        pytest.param(f"int({P}['n']) > 5", {"n": "7"}, True, id="int-of-string"),
        pytest.param(
            f"!(int({P}['n']) < 5000) && !(int({P}['n']) > 5000)", {"n": 5000}, True, id="and"
        ),
        pytest.param(f"{P}['a'] == 1 || {P}['a'] == 2", {"a": 2}, True, id="or"),
        pytest.param(f"double({P}['r']) >= 0.5", {"r": 1}, True, id="double"),
        pytest.param(f"{P}['s'] != 'x'", {"s": "y"}, True, id="not-equal"),
    ],
)
def test_conditions(text: str, values: dict[str, Any], expected: bool) -> None:
    assert expressions.condition(text, values) is expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("__import__('os').system('true')", id="no-python"),
        pytest.param(f"{P}['a'] ==", id="dangling"),
        pytest.param(f"size({P}['a']) > 1", id="unknown-function"),
        pytest.param(f"{P}['a'] in [1, 2]", id="in-operator"),
    ],
)
def test_anything_else_is_an_error(text: str) -> None:
    with pytest.raises(errors.ExpressionError):
        expressions.parse(text)


def test_a_missing_parameter_or_a_non_boolean_is_an_error() -> None:
    with pytest.raises(errors.ExpressionError, match="no input parameter"):
        expressions.condition(f"{P}['x'] == 1", {})
    with pytest.raises(errors.ExpressionError, match="boolean"):
        expressions.condition(f"{P}['x']", {"x": 1})


def test_selectors_pick_a_key_of_a_json_item() -> None:
    sel = 'parseJson(string_value)["p_a"]'
    assert expressions.select(sel, '{"p_a": [1], "p_b": "x"}') == [1]
    assert expressions.select(sel, {"p_a": 2}) == 2
    with pytest.raises(errors.ExpressionError):
        expressions.select(sel, {"other": 1})
    with pytest.raises(errors.ExpressionError):
        expressions.parse_selector("string_value.p_a")
