"""`-p name=value`: typed by the pipeline's inputDefinitions, every problem named."""

from __future__ import annotations

from typing import Any

import pytest

from pinnace.cli import parameters
from pinnace.pipelines import specs

T = specs.ParameterType


def pipeline(**types: specs.ParameterType) -> specs.Pipeline:
    params = {n: specs.ParameterDef(name=n, type=t) for n, t in types.items()}
    root = specs.Component(
        name=specs.ROOT,
        inputs=specs.Interface(parameters=params, artifacts={}),
        outputs=specs.Interface(parameters={}, artifacts={}),
        executor=None,
        dag=specs.Dag(tasks={}, parameters={}, artifacts={}),
    )
    return specs.Pipeline(name="p", root=root, components={}, executors={})


@pytest.mark.parametrize(
    ("ptype", "text", "value"),
    [
        pytest.param(T.STRING, "42", "42", id="string-stays-text"),
        pytest.param(T.STRING, "a=b", "a=b", id="string-with-equals"),
        pytest.param(T.NUMBER_INTEGER, " 7", 7, id="int"),
        pytest.param(T.NUMBER_DOUBLE, "2", 2.0, id="double-from-int"),
        pytest.param(T.NUMBER_DOUBLE, "1e-3", 0.001, id="double"),
        pytest.param(T.BOOLEAN, "True", True, id="bool-true"),
        pytest.param(T.BOOLEAN, "no", False, id="bool-false"),
        pytest.param(T.LIST, '[1, "a"]', [1, "a"], id="list"),
        pytest.param(T.STRUCT, '{"k": [1]}', {"k": [1]}, id="struct"),
    ],
)
def test_values_are_typed_by_the_input(ptype: specs.ParameterType, text: str, value: Any) -> None:
    got = parameters.parse(pipeline(x=ptype), [f"x={text}"])
    assert got == {"x": value}
    assert type(got["x"]) is type(value)


def test_every_problem_is_named_at_once() -> None:
    p = pipeline(n=T.NUMBER_INTEGER, on=T.BOOLEAN, items=T.LIST, cfg=T.STRUCT)
    with pytest.raises(parameters.BadParameters) as caught:
        parameters.parse(p, ["n=1.5", "on=maybe", "items={}", "cfg=[", "nope=1", "bare"])
    assert caught.value.problems == (
        "-p n (NUMBER_INTEGER): expected an integer, got '1.5'",
        "-p on (BOOLEAN): expected true or false, got 'maybe'",
        "-p items (LIST): expected a JSON list, got '{}'",
        "-p cfg (STRUCT): expected a JSON object, got '['",
        "-p nope: the pipeline has no such input (inputs: cfg, items, n, on)",
        "-p 'bare': expected name=value",
    )


def test_a_later_value_wins() -> None:
    assert parameters.parse(pipeline(x=T.NUMBER_INTEGER), ["x=1", "x=2"]) == {"x": 2}
