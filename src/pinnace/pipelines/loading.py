"""KFP v2 IR (PipelineSpec, as a dict) → the `specs.Pipeline` graph, once per run.

The run controller calls `load(spec, platform)` with the PipelineRun's
`spec.pipelineSpec` (and `spec.platformSpec`); `documents` does the same
for a compiled YAML file with its optional second (platform) document. Only
the shape is checked here — every field of the right type, each problem
collected with the task and field it concerns; whether references resolve
is `checks`' job. The kfp SDK is never imported: the IR is plain data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from pinnace.pipelines import errors, specs
from pinnace.pipelines.errors import Problem

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class _Reader:
    """Collects problems while reading; each `read_*` returns a usable default on error."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, where: tuple[str | None, str | None], field: str, message: str) -> None:
        dag, task = where
        self.problems.append(Problem(field=field, message=message, task=task, dag=dag))

    def mapping(
        self, where: tuple[str | None, str | None], field: str, value: Any
    ) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(where, field, f"expected an object, got {type(value).__name__}")
            return {}
        return value

    def string(self, where: tuple[str | None, str | None], field: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            self.fail(where, field, "expected a non-empty string")
            return ""
        return value


def documents(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A compiled YAML file → (pipeline spec, platform spec or {})."""
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if not docs or not isinstance(docs[0], dict):
        raise errors.InvalidPipeline([Problem("pipelineSpec", "no PipelineSpec document")])
    platform = docs[1] if len(docs) > 1 and isinstance(docs[1], dict) else {}
    return docs[0], platform


def load(spec: Mapping[str, Any], platform: Mapping[str, Any] | None = None) -> specs.Pipeline:
    """The graph of `spec`; raises `errors.InvalidPipeline` naming every malformed field."""
    r = _Reader()
    top = (None, None)
    if not isinstance(spec, Mapping):
        raise errors.InvalidPipeline([Problem("pipelineSpec", "expected an object")])
    info = r.mapping(top, "pipelineInfo", spec.get("pipelineInfo"))
    name = r.string(top, "pipelineInfo.name", info.get("name"))
    root_ir = r.mapping(top, "root", spec.get("root"))
    if not root_ir:
        r.fail(top, "root", "missing: the pipeline has no root DAG")
    components = {
        cname: _component(r, cname, r.mapping((cname, None), "", body))
        for cname, body in r.mapping(top, "components", spec.get("components")).items()
    }
    root = _component(r, specs.ROOT, root_ir)
    if root.dag is None and root_ir:
        r.fail((specs.ROOT, None), "dag", "the root component must be a DAG")
    deployment = r.mapping(top, "deploymentSpec", spec.get("deploymentSpec"))
    executors = {
        label: _executor(
            r, label, r.mapping((None, None), f"deploymentSpec.executors[{label!r}]", body)
        )
        for label, body in r.mapping(
            top, "deploymentSpec.executors", deployment.get("executors")
        ).items()
    }
    if r.problems:
        raise errors.InvalidPipeline(r.problems)
    return specs.Pipeline(
        name=name,
        root=root,
        components=components,
        executors=executors,
        sdk_version=str(spec.get("sdkVersion") or ""),
        schema_version=str(spec.get("schemaVersion") or ""),
        description=str(info.get("description") or ""),
        default_pipeline_root=str(spec.get("defaultPipelineRoot") or ""),
        platform=dict(platform or {}),
    )


def _interface(
    r: _Reader, where: tuple[str | None, str | None], field: str, ir: Any
) -> specs.Interface:
    body = r.mapping(where, field, ir)
    params: dict[str, specs.ParameterDef] = {}
    for pname, p in r.mapping(where, f"{field}.parameters", body.get("parameters")).items():
        p = r.mapping(where, f"{field}.parameters[{pname!r}]", p)
        raw_type = p.get("parameterType", specs.ParameterType.UNSPECIFIED.value)
        try:
            ptype = specs.ParameterType(raw_type)
        except ValueError:
            r.fail(
                where, f"{field}.parameters[{pname!r}].parameterType", f"unknown type {raw_type!r}"
            )
            ptype = specs.ParameterType.UNSPECIFIED
        params[pname] = specs.ParameterDef(
            name=pname,
            type=ptype,
            optional=bool(p.get("isOptional")),
            has_default="defaultValue" in p,
            default=p.get("defaultValue"),
        )
    artifacts: dict[str, specs.ArtifactDef] = {}
    for aname, a in r.mapping(where, f"{field}.artifacts", body.get("artifacts")).items():
        a = r.mapping(where, f"{field}.artifacts[{aname!r}]", a)
        atype = r.mapping(
            where, f"{field}.artifacts[{aname!r}].artifactType", a.get("artifactType")
        )
        artifacts[aname] = specs.ArtifactDef(
            name=aname,
            schema_title=str(atype.get("schemaTitle") or "system.Artifact"),
            schema_version=str(atype.get("schemaVersion") or "0.0.1"),
            is_list=bool(a.get("isArtifactList")),
            optional=bool(a.get("isOptional")),
        )
    return specs.Interface(parameters=params, artifacts=artifacts)


def _component(r: _Reader, name: str, ir: Mapping[str, Any]) -> specs.Component:
    where = (name, None)
    dag_ir = ir.get("dag")
    executor = ir.get("executorLabel")
    if dag_ir is None and executor is None and name != specs.ROOT:
        r.fail(where, "executorLabel", "a component needs an executorLabel or a dag")
    if executor is not None and not isinstance(executor, str):
        r.fail(where, "executorLabel", "expected a string")
        executor = None
    return specs.Component(
        name=name,
        inputs=_interface(r, where, "inputDefinitions", ir.get("inputDefinitions")),
        outputs=_interface(r, where, "outputDefinitions", ir.get("outputDefinitions")),
        executor=executor,
        dag=_dag(r, name, r.mapping(where, "dag", dag_ir)) if dag_ir is not None else None,
    )


def _dag(r: _Reader, component: str, ir: Mapping[str, Any]) -> specs.Dag:
    where = (component, None)
    tasks = {
        tname: _task(r, component, tname, r.mapping((component, tname), "", body))
        for tname, body in r.mapping(where, "dag.tasks", ir.get("tasks")).items()
    }
    outputs = r.mapping(where, "dag.outputs", ir.get("outputs"))
    params: dict[str, specs.DagOutput] = {}
    for oname, o in r.mapping(where, "dag.outputs.parameters", outputs.get("parameters")).items():
        field = f"dag.outputs.parameters[{oname!r}]"
        o = r.mapping(where, field, o)
        if "valueFromParameter" in o:
            sel = r.mapping(where, f"{field}.valueFromParameter", o["valueFromParameter"])
            params[oname] = specs.DagOutput(
                (_selector(r, where, f"{field}.valueFromParameter", sel, "outputParameterKey"),)
            )
        elif "valueFromOneof" in o:
            one = r.mapping(where, f"{field}.valueFromOneof", o["valueFromOneof"])
            sels = one.get("parameterSelectors") or []
            params[oname] = specs.DagOutput(
                tuple(
                    _selector(
                        r,
                        where,
                        f"{field}.valueFromOneof.parameterSelectors[{i}]",
                        r.mapping(where, field, s),
                        "outputParameterKey",
                    )
                    for i, s in enumerate(sels)
                ),
                oneof=True,
            )
        else:
            r.fail(where, field, "expected valueFromParameter or valueFromOneof")
    artifacts: dict[str, specs.DagOutput] = {}
    for oname, o in r.mapping(where, "dag.outputs.artifacts", outputs.get("artifacts")).items():
        field = f"dag.outputs.artifacts[{oname!r}].artifactSelectors"
        sels = r.mapping(where, field, o).get("artifactSelectors") or []
        if not isinstance(sels, list) or not sels:
            r.fail(where, field, "expected a non-empty list")
            sels = []
        artifacts[oname] = specs.DagOutput(
            tuple(
                _selector(
                    r, where, f"{field}[{i}]", r.mapping(where, field, s), "outputArtifactKey"
                )
                for i, s in enumerate(sels)
            ),
            oneof=len(sels) > 1,
        )
    return specs.Dag(tasks=tasks, parameters=params, artifacts=artifacts)


def _selector(
    r: _Reader, where: tuple[str | None, str | None], field: str, sel: Mapping[str, Any], key: str
) -> specs.OutputSelector:
    return specs.OutputSelector(
        task=r.string(where, f"{field}.producerSubtask", sel.get("producerSubtask")),
        key=r.string(where, f"{field}.{key}", sel.get(key)),
    )


def _task(r: _Reader, component: str, name: str, ir: Mapping[str, Any]) -> specs.Task:
    where = (component, name)
    ref = r.mapping(where, "componentRef", ir.get("componentRef"))
    info = r.mapping(where, "taskInfo", ir.get("taskInfo"))
    inputs = r.mapping(where, "inputs", ir.get("inputs"))
    deps = ir.get("dependentTasks") or []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        r.fail(where, "dependentTasks", "expected a list of task names")
        deps = []
    params = {
        pname: _parameter_binding(
            r,
            where,
            f"inputs.parameters[{pname!r}]",
            r.mapping(where, f"inputs.parameters[{pname!r}]", b),
        )
        for pname, b in r.mapping(where, "inputs.parameters", inputs.get("parameters")).items()
    }
    artifacts: dict[str, specs.ArtifactBinding] = {}
    for aname, b in r.mapping(where, "inputs.artifacts", inputs.get("artifacts")).items():
        field = f"inputs.artifacts[{aname!r}]"
        b = r.mapping(where, field, b)
        if "taskOutputArtifact" in b:
            out = r.mapping(where, f"{field}.taskOutputArtifact", b["taskOutputArtifact"])
            artifacts[aname] = specs.ArtifactBinding(
                specs.TaskOutput(
                    task=r.string(
                        where, f"{field}.taskOutputArtifact.producerTask", out.get("producerTask")
                    ),
                    key=r.string(
                        where,
                        f"{field}.taskOutputArtifact.outputArtifactKey",
                        out.get("outputArtifactKey"),
                    ),
                )
            )
        elif "componentInputArtifact" in b:
            artifacts[aname] = specs.ArtifactBinding(
                specs.ComponentInput(
                    r.string(where, f"{field}.componentInputArtifact", b["componentInputArtifact"])
                )
            )
        else:
            r.fail(where, field, "expected taskOutputArtifact or componentInputArtifact")
    trigger = r.mapping(where, "triggerPolicy", ir.get("triggerPolicy"))
    strategy = specs.Strategy.ALL_UPSTREAM_TASKS_SUCCEEDED
    if trigger.get("strategy"):
        try:
            strategy = specs.Strategy(trigger["strategy"])
        except ValueError:
            r.fail(where, "triggerPolicy.strategy", f"unknown strategy {trigger['strategy']!r}")
    condition = trigger.get("condition")
    if condition is not None and not isinstance(condition, str):
        r.fail(where, "triggerPolicy.condition", "expected a string")
        condition = None
    caching = r.mapping(where, "cachingOptions", ir.get("cachingOptions"))
    return specs.Task(
        name=name,
        component=r.string(where, "componentRef.name", ref.get("name")),
        display_name=str(info.get("name") or name),
        dependencies=tuple(deps),
        parameters=params,
        artifacts=artifacts,
        condition=condition or None,
        strategy=strategy,
        iterator=_iterator(r, where, ir, params),
        retry=_retry(r, where, ir.get("retryPolicy")),
        caching=bool(caching.get("enableCache")),
    )


def _parameter_binding(
    r: _Reader, where: tuple[str | None, str | None], field: str, b: Mapping[str, Any]
) -> specs.ParameterBinding:
    selector = b.get("parameterExpressionSelector")
    source: specs.Source
    if "componentInputParameter" in b:
        source = specs.ComponentInput(
            r.string(where, f"{field}.componentInputParameter", b["componentInputParameter"])
        )
    elif "taskOutputParameter" in b:
        out = r.mapping(where, f"{field}.taskOutputParameter", b["taskOutputParameter"])
        source = specs.TaskOutput(
            task=r.string(
                where, f"{field}.taskOutputParameter.producerTask", out.get("producerTask")
            ),
            key=r.string(
                where,
                f"{field}.taskOutputParameter.outputParameterKey",
                out.get("outputParameterKey"),
            ),
        )
    elif "runtimeValue" in b:
        source = specs.Constant(
            r.mapping(where, f"{field}.runtimeValue", b["runtimeValue"]).get("constant")
        )
    elif "taskFinalStatus" in b:
        final = r.mapping(where, f"{field}.taskFinalStatus", b["taskFinalStatus"])
        source = specs.FinalStatus(
            r.string(where, f"{field}.taskFinalStatus.producerTask", final.get("producerTask"))
        )
    else:
        r.fail(
            where,
            field,
            "expected componentInputParameter, taskOutputParameter, runtimeValue or taskFinalStatus",
        )
        source = specs.Constant(None)
    return specs.ParameterBinding(
        source=source, selector=selector if isinstance(selector, str) else None
    )


def _iterator(
    r: _Reader,
    where: tuple[str | None, str | None],
    ir: Mapping[str, Any],
    params: Mapping[str, specs.ParameterBinding],
) -> specs.Iterator | None:
    policy = r.mapping(where, "iteratorPolicy", ir.get("iteratorPolicy"))
    parallelism = policy.get("parallelismLimit") or 0
    if not isinstance(parallelism, int) or parallelism < 0:
        r.fail(where, "iteratorPolicy.parallelismLimit", "expected a non-negative integer")
        parallelism = 0
    if "parameterIterator" in ir:
        it = r.mapping(where, "parameterIterator", ir["parameterIterator"])
        items = r.mapping(where, "parameterIterator.items", it.get("items"))
        item_input = r.string(where, "parameterIterator.itemInput", it.get("itemInput"))
        if "raw" in items:
            return specs.Iterator(
                item_input=item_input, raw=str(items["raw"]), parallelism=parallelism
            )
        return specs.Iterator(
            item_input=item_input,
            items_input=r.string(
                where, "parameterIterator.items.inputParameter", items.get("inputParameter")
            ),
            parallelism=parallelism,
        )
    if "artifactIterator" in ir:
        it = r.mapping(where, "artifactIterator", ir["artifactIterator"])
        items = r.mapping(where, "artifactIterator.items", it.get("items"))
        return specs.Iterator(
            item_input=r.string(where, "artifactIterator.itemInput", it.get("itemInput")),
            items_input=r.string(
                where, "artifactIterator.items.inputArtifact", items.get("inputArtifact")
            ),
            artifact=True,
            parallelism=parallelism,
        )
    return None


def _seconds(
    r: _Reader, where: tuple[str | None, str | None], field: str, value: Any, default: float
) -> float:
    if value is None:
        return default
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        r.fail(where, field, f"expected a duration like '30s', got {value!r}")
        return default
    return float(m.group(1))


def _retry(r: _Reader, where: tuple[str | None, str | None], ir: Any) -> specs.Retry | None:
    if ir is None:
        return None
    body = r.mapping(where, "retryPolicy", ir)
    count = body.get("maxRetryCount") or 0
    if not isinstance(count, int) or count < 0:
        r.fail(where, "retryPolicy.maxRetryCount", "expected a non-negative integer")
        count = 0
    return specs.Retry(
        max_count=count,
        backoff_seconds=_seconds(
            r, where, "retryPolicy.backoffDuration", body.get("backoffDuration"), 0.0
        ),
        backoff_factor=float(body.get("backoffFactor") or 2.0),
        backoff_max_seconds=_seconds(
            r, where, "retryPolicy.backoffMaxDuration", body.get("backoffMaxDuration"), 3600.0
        ),
    )


def _executor(r: _Reader, label: str, ir: Mapping[str, Any]) -> specs.Executor:
    where = (None, None)
    field = f"deploymentSpec.executors[{label!r}]"
    if "container" in ir:
        c = r.mapping(where, f"{field}.container", ir["container"])
        command, args = c.get("command") or [], c.get("args") or []
        for part, value in (("command", command), ("args", args)):
            if not isinstance(value, list):
                r.fail(where, f"{field}.container.{part}", "expected a list")
        env = tuple(
            (str(e.get("name") or ""), str(e.get("value") or ""))
            for e in (c.get("env") or [])
            if isinstance(e, Mapping)
        )
        res = r.mapping(where, f"{field}.container.resources", c.get("resources"))
        return specs.Executor(
            label=label,
            container=specs.Container(
                image=r.string(where, f"{field}.container.image", c.get("image")),
                command=tuple(command) if isinstance(command, list) else (),
                args=tuple(args) if isinstance(args, list) else (),
                env=env,
                resources=_resources(res),
            ),
        )
    if "importer" in ir:
        imp = r.mapping(where, f"{field}.importer", ir["importer"])
        uri = r.mapping(where, f"{field}.importer.artifactUri", imp.get("artifactUri"))
        atype = r.mapping(where, f"{field}.importer.typeSchema", imp.get("typeSchema"))
        binding = (
            specs.ParameterBinding(specs.ComponentInput(str(uri["componentInputParameter"])))
            if "componentInputParameter" in uri
            else specs.ParameterBinding(specs.Constant(uri.get("constant")))
        )
        return specs.Executor(
            label=label,
            importer=specs.Importer(
                artifact_uri=binding,
                schema_title=str(atype.get("schemaTitle") or "system.Artifact"),
                schema_version=str(atype.get("schemaVersion") or "0.0.1"),
                reimport=bool(imp.get("reimport")),
                metadata=dict(r.mapping(where, f"{field}.importer.metadata", imp.get("metadata"))),
            ),
        )
    r.fail(where, field, "expected a container or an importer (other executors are not supported)")
    return specs.Executor(label=label)


def _resources(res: Mapping[str, Any]) -> specs.Resources:
    def pick(*keys: str) -> str | None:
        for key in keys:
            if res.get(key) not in (None, "", 0):
                return str(res[key])
        return None

    return specs.Resources(
        cpu_request=pick("resourceCpuRequest", "cpuRequest"),
        cpu_limit=pick("resourceCpuLimit", "cpuLimit"),
        memory_request=pick("resourceMemoryRequest"),
        memory_limit=pick("resourceMemoryLimit"),
    )


def walk(pipeline: specs.Pipeline) -> Iterator[tuple[specs.Component, specs.Task]]:
    """Every (DAG component, task) pair of the pipeline, root first."""
    for comp in (pipeline.root, *pipeline.components.values()):
        if comp.dag is not None:
            for task in comp.dag.tasks.values():
                yield comp, task
