"""Admission of PipelineRuns: a bad IR or bad arguments is a 422 naming task and field, never stored."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl
from tests.support import apiservers

from pinnace.api import kinds
from pinnace.cli import platform as cli_platform
from pinnace.kits.kube import errors
from pinnace.pipelines import admitting
from pinnace.pipelines.errors import Problem

from . import builders
from .builders import BASE

NS = "ns"


@dsl.component(base_image=BASE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline
def chain(x: int, y: float = 1.5) -> int:
    first = add(a=x, b=1)
    return add(a=first.output, b=10).output


IR = builders.compiled(chain)


def run(name: str, ir: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {
        "apiVersion": "pipelines.kubeflow.org/v1alpha1",
        "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"pipelineSpec": ir, "runtimeConfig": {"parameters": params}},
    }


def unknown_component() -> dict[str, Any]:
    ir = copy.deepcopy(IR)
    ir["root"]["dag"]["tasks"]["add"]["componentRef"]["name"] = "comp-gone"
    return ir


def no_root() -> dict[str, Any]:
    ir = copy.deepcopy(IR)
    del ir["root"]
    return ir


@pytest.mark.parametrize(
    ("ir", "params", "field", "message"),
    [
        pytest.param(
            unknown_component(),
            {"x": 1},
            "spec.pipelineSpec.root.dag.tasks[add].componentRef.name",
            "unknown component 'comp-gone'",
            id="unknown-component",
        ),
        pytest.param(
            no_root(),
            {"x": 1},
            "spec.pipelineSpec.root",
            "missing: the pipeline has no root DAG",
            id="invalid-ir",
        ),
        pytest.param(
            IR,
            {"x": "one"},
            "spec.runtimeConfig.parameters['x']",
            "expected NUMBER_INTEGER, got str 'one'",
            id="wrong-type",
        ),
        pytest.param(
            IR,
            {},
            "spec.runtimeConfig.parameters['x']",
            "required pipeline input (NUMBER_INTEGER) is missing",
            id="missing-required",
        ),
        pytest.param(
            IR,
            {"x": 1, "z": 2},
            "spec.runtimeConfig.parameters['z']",
            "the pipeline has no such input",
            id="unknown-parameter",
        ),
    ],
)
def test_a_bad_run_gets_one_cause_per_problem(
    ir: dict[str, Any], params: dict[str, Any], field: str, message: str
) -> None:
    causes = admitting.pipeline_run(run("r", ir, **params), None)
    assert causes == [{"reason": "FieldValueInvalid", "message": message, "field": field}]


def test_a_good_run_passes() -> None:
    assert admitting.pipeline_run(run("r", IR, x=1, y=2), None) == []


def test_an_update_that_keeps_the_pipeline_is_not_judged_again() -> None:
    old = run("r", unknown_component(), x=1)
    new = copy.deepcopy(old)
    new["spec"]["cancel"] = True
    assert admitting.pipeline_run(new, old) == []
    new["spec"]["runtimeConfig"]["parameters"]["x"] = 2
    assert admitting.pipeline_run(new, old) != []


def test_a_run_from_a_version_ref_is_left_to_whoever_resolves_it() -> None:
    obj = run("r", {})
    obj["spec"] = {"pipelineVersionRef": {"pipelineId": "p", "pipelineVersionId": "v"}}
    assert admitting.pipeline_run(obj, None) == []


@pytest.mark.parametrize(
    ("problem", "path"),
    [
        pytest.param(
            Problem("dependentTasks", "x", "t", "comp-sub"),
            "spec.pipelineSpec.components[comp-sub].dag.tasks[t].dependentTasks",
            id="sub-dag-task",
        ),
        pytest.param(
            Problem("executorLabel", "x", None, "comp-a"),
            "spec.pipelineSpec.components[comp-a].executorLabel",
            id="component",
        ),
        pytest.param(
            Problem("deploymentSpec.executors['e'].container", "x"),
            "spec.pipelineSpec.deploymentSpec.executors['e'].container",
            id="top-level",
        ),
    ],
)
def test_field_paths_place_the_problem_in_the_object(problem: Problem, path: str) -> None:
    assert admitting.field_path(problem) == path


@pytest.fixture
async def kube(tmp_path: Path) -> AsyncIterator[apiservers.Kube]:
    async with apiservers.serve(tmp_path, validators=cli_platform.VALIDATORS) as running:
        await cli_platform.install_crds(running)
        yield running


async def test_the_platform_refuses_a_bad_run_with_a_422_and_keeps_a_good_one(
    kube: apiservers.Kube,
) -> None:
    with pytest.raises(errors.Invalid) as caught:
        await kube.create(kinds.PIPELINERUNS, run("bad", unknown_component(), x=1))
    status = caught.value.status
    assert status["message"] == (
        'PipelineRun "bad" is invalid: spec.pipelineSpec.root.dag.tasks[add].componentRef.name:'
        " unknown component 'comp-gone'"
    )
    assert status["details"]["group"] == "pipelines.kubeflow.org"
    assert kube.objects(kinds.PIPELINERUNS, NS) == []
    await kube.create(kinds.PIPELINERUNS, run("good", IR, x=1))
    cancel = {"spec": {"cancel": True}}
    await kube.patch(kinds.PIPELINERUNS, "good", cancel, namespace=NS)
    with pytest.raises(errors.Invalid):
        await kube.patch(
            kinds.PIPELINERUNS,
            "good",
            {"spec": {"runtimeConfig": {"parameters": {"x": "no"}}}},
            namespace=NS,
        )
    (stored,) = kube.objects(kinds.PIPELINERUNS, NS)
    assert stored["spec"]["cancel"] is True
    assert stored["spec"]["runtimeConfig"]["parameters"] == {"x": 1}
