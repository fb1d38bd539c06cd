"""Validation of a loaded pipeline: small pure checks, each naming the task and the field.

`validate(pipeline)` runs every check in `CHECKS` over the `specs` graph and
returns the problems (empty: the graph is sound); `arguments(pipeline,
values)` checks a run's parameters against the root's inputs and returns
the values with defaults applied. The run controller fails a run with these
problems before it creates any pod (metaflow's `lint.py` as the model: one
function per rule, no I/O).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pinnace.pipelines import errors, expressions, platforms, specs
from pinnace.pipelines.errors import Problem

CHANNEL_PREFIX = "pipelinechannel--"

Check = Callable[[specs.Pipeline], Iterator[Problem]]


def _dags(pipeline: specs.Pipeline) -> Iterator[tuple[specs.Component, specs.Dag]]:
    for comp in (pipeline.root, *pipeline.components.values()):
        if comp.dag is not None:
            yield comp, comp.dag


def component_refs(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp, dag in _dags(pipeline):
        for task in dag.tasks.values():
            if task.component and task.component not in pipeline.components:
                yield Problem(
                    "componentRef.name",
                    f"unknown component {task.component!r}",
                    task.name,
                    comp.name,
                )


def executor_labels(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp in pipeline.components.values():
        if comp.executor is not None and comp.executor not in pipeline.executors:
            yield Problem(
                "executorLabel", f"no executor {comp.executor!r} in deploymentSpec", dag=comp.name
            )


def dependencies(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp, dag in _dags(pipeline):
        for task in dag.tasks.values():
            for dep in task.dependencies:
                if dep == task.name:
                    yield Problem(
                        "dependentTasks", "a task cannot depend on itself", task.name, comp.name
                    )
                elif dep not in dag.tasks:
                    yield Problem("dependentTasks", f"unknown task {dep!r}", task.name, comp.name)
        yield from _cycles(comp, dag)


def _cycles(comp: specs.Component, dag: specs.Dag) -> Iterator[Problem]:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: tuple[str, ...]) -> Iterator[Problem]:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join((*path[path.index(name) :], name))
            yield Problem("dependentTasks", f"dependency cycle {cycle}", name, comp.name)
            return
        state[name] = 1
        for dep in dag.tasks[name].dependencies:
            if dep in dag.tasks:
                yield from visit(dep, (*path, name))
        state[name] = 2

    for name in dag.tasks:
        yield from visit(name, ())


def bindings(pipeline: specs.Pipeline) -> Iterator[Problem]:
    """Every input source resolves: parent inputs, sibling producers and their output keys."""
    for comp, dag in _dags(pipeline):
        for task in dag.tasks.values():
            target = pipeline.components.get(task.component)
            for pname, pb in task.parameters.items():
                field = f"inputs.parameters[{pname!r}]"
                yield from _source(pipeline, comp, dag, task, field, pb.source, artifact=False)
                if (
                    target is not None
                    and pname not in target.inputs.parameters
                    and not pname.startswith(CHANNEL_PREFIX)  # extra inputs feed the condition
                ):
                    yield Problem(
                        field,
                        f"component {target.name!r} has no input parameter {pname!r}",
                        task.name,
                        comp.name,
                    )
            for aname, ab in task.artifacts.items():
                field = f"inputs.artifacts[{aname!r}]"
                yield from _source(pipeline, comp, dag, task, field, ab.source, artifact=True)
                if target is not None and aname not in target.inputs.artifacts:
                    yield Problem(
                        field,
                        f"component {target.name!r} has no input artifact {aname!r}",
                        task.name,
                        comp.name,
                    )


def _source(
    pipeline: specs.Pipeline,
    comp: specs.Component,
    dag: specs.Dag,
    task: specs.Task,
    field: str,
    source: specs.Source,
    *,
    artifact: bool,
) -> Iterator[Problem]:
    if isinstance(source, specs.ComponentInput):
        names = comp.inputs.artifacts if artifact else comp.inputs.parameters
        if source.name not in names:
            kind = "artifact" if artifact else "parameter"
            yield Problem(
                field,
                f"the enclosing DAG {comp.name!r} has no input {kind} {source.name!r}",
                task.name,
                comp.name,
            )
    elif isinstance(source, specs.TaskOutput | specs.FinalStatus):
        producer = dag.tasks.get(source.task)
        if producer is None:
            yield Problem(field, f"unknown producer task {source.task!r}", task.name, comp.name)
            return
        if isinstance(source, specs.TaskOutput):
            produced = pipeline.components.get(producer.component)
            if produced is None:
                return
            outs = produced.outputs.artifacts if artifact else produced.outputs.parameters
            if source.key not in outs:
                yield Problem(
                    field,
                    f"task {source.task!r} has no output {source.key!r}",
                    task.name,
                    comp.name,
                )


def required_inputs(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp, dag in _dags(pipeline):
        for task in dag.tasks.values():
            target = pipeline.components.get(task.component)
            if target is None:
                continue
            item = task.iterator.item_input if task.iterator else None
            for p in target.inputs.parameters.values():
                if p.name == item or p.name in task.parameters or p.optional or p.has_default:
                    continue
                yield Problem(
                    f"inputs.parameters[{p.name!r}]",
                    f"required input of {target.name!r} is not bound",
                    task.name,
                    comp.name,
                )
            for a in target.inputs.artifacts.values():
                if a.name == item or a.name in task.artifacts or a.optional:
                    continue
                yield Problem(
                    f"inputs.artifacts[{a.name!r}]",
                    f"required input of {target.name!r} is not bound",
                    task.name,
                    comp.name,
                )


def iterators(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp, dag in _dags(pipeline):
        for task in dag.tasks.values():
            it = task.iterator
            if it is None:
                continue
            kind = "artifactIterator" if it.artifact else "parameterIterator"
            if it.items_input is not None:
                bound = task.artifacts if it.artifact else task.parameters
                if it.items_input not in bound:
                    yield Problem(
                        f"{kind}.items",
                        f"the loop's list {it.items_input!r} is not a task input",
                        task.name,
                        comp.name,
                    )
            elif it.raw is not None:
                try:
                    items = expressions.json_list(it.raw)
                except errors.ExpressionError as exc:
                    yield Problem(f"{kind}.items.raw", str(exc), task.name, comp.name)
                    continue
                del items


def conditions(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp, dag in _dags(pipeline):
        for task in dag.tasks.values():
            if task.condition is not None:
                try:
                    expressions.parse(task.condition)
                except errors.ExpressionError as exc:
                    yield Problem("triggerPolicy.condition", str(exc), task.name, comp.name)
            for pname, pb in task.parameters.items():
                if pb.selector is not None:
                    try:
                        expressions.parse_selector(pb.selector)
                    except errors.ExpressionError as exc:
                        yield Problem(
                            f"inputs.parameters[{pname!r}].parameterExpressionSelector",
                            str(exc),
                            task.name,
                            comp.name,
                        )


def dag_outputs(pipeline: specs.Pipeline) -> Iterator[Problem]:
    for comp, dag in _dags(pipeline):
        for kind, outs in (("parameters", dag.parameters), ("artifacts", dag.artifacts)):
            for oname, out in outs.items():
                for sel in out.selectors:
                    if sel.task not in dag.tasks:
                        yield Problem(
                            f"dag.outputs.{kind}[{oname!r}]",
                            f"unknown producerSubtask {sel.task!r}",
                            dag=comp.name,
                        )


CHECKS: tuple[Check, ...] = (
    component_refs,
    executor_labels,
    dependencies,
    bindings,
    required_inputs,
    iterators,
    conditions,
    dag_outputs,
    platforms.check,
)


def validate(pipeline: specs.Pipeline) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(pipeline)]


_PYTHON_TYPES: dict[specs.ParameterType, tuple[type, ...]] = {
    specs.ParameterType.STRING: (str,),
    specs.ParameterType.NUMBER_INTEGER: (int,),
    specs.ParameterType.NUMBER_DOUBLE: (int, float),
    specs.ParameterType.BOOLEAN: (bool,),
    specs.ParameterType.LIST: (list,),
    specs.ParameterType.STRUCT: (dict,),
}


def coerce(ptype: specs.ParameterType, value: Any, *, lenient: bool = False) -> Any:
    """`value` as a parameter of `ptype`; raises ValueError when it cannot be one.

    `lenient` (values passed between tasks): a list or struct given to a STRING input
    becomes its JSON text, as KFP's driver does for loop items over dicts.
    """
    if value is None:
        return None
    if lenient and ptype is specs.ParameterType.STRING and isinstance(value, list | dict):
        return json.dumps(value)
    if (
        ptype is specs.ParameterType.NUMBER_INTEGER
        and isinstance(value, float)
        and value.is_integer()
    ):
        return int(value)  # JSON numbers from protobuf Values arrive as floats
    want = _PYTHON_TYPES.get(ptype)
    if want is None:
        return value
    if isinstance(value, bool) and ptype is not specs.ParameterType.BOOLEAN:
        raise ValueError(f"expected {ptype.value}, got a boolean")
    if not isinstance(value, want):
        raise ValueError(f"expected {ptype.value}, got {type(value).__name__} {value!r}")
    if ptype is specs.ParameterType.NUMBER_DOUBLE and isinstance(value, int | float):
        return float(value)
    return value


def arguments(pipeline: specs.Pipeline, values: Mapping[str, Any]) -> dict[str, Any]:
    """The root's parameter values: `values` checked and coerced, defaults filled in."""
    problems: list[Problem] = []
    params = pipeline.root.inputs.parameters
    out: dict[str, Any] = {}
    for name in values:
        if name not in params:
            problems.append(
                Problem(f"runtimeConfig.parameters[{name!r}]", "the pipeline has no such input")
            )
    for name, p in params.items():
        field = f"runtimeConfig.parameters[{name!r}]"
        if name in values:
            try:
                out[name] = coerce(p.type, values[name])
            except ValueError as exc:
                problems.append(Problem(field, str(exc)))
        elif p.has_default:
            try:
                out[name] = coerce(p.type, p.default)  # the compiler writes int defaults as 3.0
            except ValueError as exc:
                problems.append(Problem(f"root.inputDefinitions.parameters[{name!r}]", str(exc)))
        elif not p.optional:
            problems.append(Problem(field, f"required pipeline input ({p.type.value}) is missing"))
    if problems:
        raise errors.InvalidPipeline(problems)
    return out
