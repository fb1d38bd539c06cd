"""IR → graph: what the kfp compiler emits becomes plain data; malformed IR names task and field."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import copy
from typing import Any

import pytest
from kfp import dsl

from pinnace.pipelines import errors, loading, specs

from . import builders
from .builders import BASE


@dsl.component(base_image=BASE)
def produce(n: int, out: dsl.Output[dsl.Dataset]) -> int:
    return n


@dsl.component(base_image=BASE)
def consume(data: dsl.Input[dsl.Dataset], label: str = "x") -> None:
    pass


@dsl.pipeline
def sample(n: int = 3, flag: bool = True) -> None:
    p = produce(n=n).set_retry(num_retries=2, backoff_duration="5s", backoff_factor=3.0)
    with dsl.If(flag == True), dsl.ParallelFor([1, 2], parallelism=1):  # noqa: E712 - a channel
        consume(data=p.outputs["out"]).after(p)


@pytest.fixture(scope="module")
def ir() -> dict[str, Any]:
    return builders.compiled(sample)


def test_the_graph_holds_tasks_bindings_and_control_flow(ir: dict[str, Any]) -> None:
    pipeline = loading.load(ir)
    assert pipeline.name == "sample"
    root = pipeline.root
    assert root.inputs.parameters["n"] == specs.ParameterDef(
        "n", specs.ParameterType.NUMBER_INTEGER, optional=True, has_default=True, default=3
    )
    producer = root.dag.tasks["produce"] if root.dag else None
    assert producer is not None
    assert producer.parameters["n"].source == specs.ComponentInput("n")
    assert producer.retry == specs.Retry(max_count=2, backoff_seconds=5.0, backoff_factor=3.0)
    condition = root.dag.tasks["condition-1"] if root.dag else None
    assert condition is not None and condition.condition is not None
    assert "pipelinechannel--flag" in condition.condition
    (loop_task,) = [t for _, t in loading.walk(pipeline) if t.iterator is not None]
    assert loop_task.iterator is not None
    assert loop_task.iterator.raw == "[1, 2]" and loop_task.iterator.parallelism == 1
    body = pipeline.components[loop_task.component]
    consumer = body.dag.tasks["consume"] if body.dag else None
    assert consumer is not None
    assert consumer.artifacts["data"].source == specs.ComponentInput("pipelinechannel--produce-out")
    assert loop_task.iterator.item_input in body.inputs.parameters
    executor = pipeline.executors[pipeline.components["comp-produce"].executor or ""]
    assert executor.container is not None and executor.container.image == BASE
    assert pipeline.components["comp-produce"].outputs.artifacts["out"].schema_title == (
        "system.Dataset"
    )


def test_a_yaml_file_with_a_platform_document_splits_in_two() -> None:
    spec, platform = loading.documents(
        "pipelineInfo: {name: p}\n---\nplatforms: {kubernetes: {}}\n"
    )
    assert spec == {"pipelineInfo": {"name": "p"}}
    assert platform == {"platforms": {"kubernetes": {}}}


@pytest.mark.parametrize(
    ("edit", "task", "field"),
    [
        pytest.param(
            lambda ir: ir["root"]["dag"]["tasks"]["produce"].pop("componentRef"),
            "produce",
            "componentRef.name",
            id="no-component-ref",
        ),
        pytest.param(
            lambda ir: ir["root"]["dag"]["tasks"]["produce"].update(dependentTasks="x"),
            "produce",
            "dependentTasks",
            id="dependencies-not-a-list",
        ),
        pytest.param(
            lambda ir: ir["root"]["dag"]["tasks"]["produce"]["inputs"]["parameters"]["n"].clear(),
            "produce",
            "inputs.parameters['n']",
            id="binding-without-source",
        ),
        pytest.param(
            lambda ir: ir["root"]["dag"]["tasks"]["produce"]["retryPolicy"].update(
                backoffDuration="soon"
            ),
            "produce",
            "retryPolicy.backoffDuration",
            id="bad-duration",
        ),
    ],
)
def test_malformed_ir_names_the_task_and_field(
    ir: dict[str, Any], edit: Any, task: str, field: str
) -> None:
    broken = copy.deepcopy(ir)
    edit(broken)
    with pytest.raises(errors.InvalidPipeline) as info:
        loading.load(broken)
    assert any(p.task == task and p.field == field for p in info.value.problems), info.value
    assert task in str(info.value) and field in str(info.value)


def test_not_an_object_is_invalid() -> None:
    with pytest.raises(errors.InvalidPipeline, match="root"):
        loading.load({"pipelineInfo": {"name": "p"}})
