"""The pure checks over a loaded graph, and a run's arguments against the pipeline's inputs."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import copy
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from pinnace.pipelines import checks, errors, loading

from . import builders
from .builders import BASE


@dsl.component(base_image=BASE)
def step(x: int) -> int:
    return x


@dsl.pipeline
def two(x: int, label: str = "a", ratio: float = 0.5) -> None:
    first = step(x=x)
    step(x=first.output)


@pytest.fixture(scope="module")
def ir() -> dict[str, Any]:
    return builders.compiled(two)


def problems(ir: dict[str, Any]) -> list[errors.Problem]:
    return checks.validate(loading.load(ir))


def test_a_compiled_pipeline_passes_every_check(ir: dict[str, Any]) -> None:
    assert problems(ir) == []


def test_the_conformance_corpus_passes_every_check() -> None:
    corpus = next(
        (
            p / "shared" / "conformance" / "kfp-ir"
            for p in Path(__file__).resolve().parents
            if (p / "shared" / "conformance" / "kfp-ir").is_dir()
        ),
        None,
    )
    assert corpus is not None, "shared/conformance/kfp-ir is beside the repository"
    for path in sorted(corpus.glob("*.yaml")):
        spec, platform = loading.documents(path.read_text())
        assert checks.validate(loading.load(spec, platform)) == [], path.name


def tasks(ir: dict[str, Any]) -> dict[str, Any]:
    return ir["root"]["dag"]["tasks"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("edit", "task", "field", "words"),
    [
        pytest.param(
            lambda ir: tasks(ir)["step"]["componentRef"].update(name="comp-nope"),
            "step",
            "componentRef.name",
            "unknown component 'comp-nope'",
            id="unknown-component",
        ),
        pytest.param(
            lambda ir: tasks(ir)["step-2"]["inputs"]["parameters"]["x"][
                "taskOutputParameter"
            ].update(producerTask="ghost"),
            "step-2",
            "inputs.parameters['x']",
            "unknown producer task 'ghost'",
            id="unknown-producer",
        ),
        pytest.param(
            lambda ir: tasks(ir)["step-2"]["inputs"]["parameters"]["x"][
                "taskOutputParameter"
            ].update(outputParameterKey="Nothing"),
            "step-2",
            "inputs.parameters['x']",
            "has no output 'Nothing'",
            id="unknown-output-key",
        ),
        pytest.param(
            lambda ir: tasks(ir)["step"].update(dependentTasks=["step-2"]),
            "step",
            "dependentTasks",
            "dependency cycle",
            id="cycle",
        ),
        pytest.param(
            lambda ir: tasks(ir)["step"]["inputs"]["parameters"].pop("x"),
            "step",
            "inputs.parameters['x']",
            "is not bound",
            id="required-input-unbound",
        ),
        pytest.param(
            lambda ir: tasks(ir)["step"]["inputs"]["parameters"]["x"].update(
                componentInputParameter="nope"
            ),
            "step",
            "inputs.parameters['x']",
            "has no input parameter 'nope'",
            id="unknown-pipeline-input",
        ),
        pytest.param(
            lambda ir: tasks(ir)["step"].update(
                triggerPolicy={"condition": "inputs.parameter_values['x'] === 1"}
            ),
            "step",
            "triggerPolicy.condition",
            "unexpected",
            id="bad-condition",
        ),
    ],
)
def test_each_problem_names_the_task_and_field(
    ir: dict[str, Any], edit: Any, task: str, field: str, words: str
) -> None:
    broken = copy.deepcopy(ir)
    edit(broken)
    found = problems(broken)
    assert any(p.task == task and p.field == field and words in p.message for p in found), found


def test_arguments_get_defaults_and_their_types_checked(ir: dict[str, Any]) -> None:
    pipeline = loading.load(ir)
    assert checks.arguments(pipeline, {"x": 2.0}) == {"x": 2, "label": "a", "ratio": 0.5}
    assert checks.arguments(pipeline, {"x": 1, "ratio": 1}) == {"x": 1, "label": "a", "ratio": 1.0}


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        pytest.param({}, "runtimeConfig.parameters['x']", "missing", id="missing-required"),
        pytest.param(
            {"x": "one"},
            "runtimeConfig.parameters['x']",
            "expected NUMBER_INTEGER",
            id="wrong-type",
        ),
        pytest.param({"x": True}, "runtimeConfig.parameters['x']", "boolean", id="bool-for-int"),
        pytest.param(
            {"x": 1, "y": 2}, "runtimeConfig.parameters['y']", "no such input", id="unknown"
        ),
    ],
)
def test_bad_arguments_name_the_parameter(
    ir: dict[str, Any], values: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(errors.InvalidPipeline) as info:
        checks.arguments(loading.load(ir), values)
    assert any(p.field == field and words in p.message for p in info.value.problems), info.value
