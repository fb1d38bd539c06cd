"""Validating admission for pipeline objects: a bad IR is a 422 at `kubectl apply`, never stored.

The composition root (`cli/platform.py`) passes `VALIDATORS` to the API
server, which calls the validator of a kind on every create and every update
that changes `spec` (`apiserver/admission.py`). A validator loads the IR
(`loading`), runs every check (`checks.validate`) and, for a run, the
arguments against the root's inputs (`checks.arguments`), and turns each
`errors.Problem` into a Kubernetes cause whose `field` is the path in the
object, naming the DAG, the task and the field as `checks` does
(`spec.pipelineSpec.root.dag.tasks[measure].componentRef.name`), and whose
`message` is the problem's (`unknown component 'comp-missing'`), so kubectl
prints `PipelineRun "x" is invalid: <field>: <message>` as for any kind. The
run controller's own check stays: a run admitted before the platform had
this validator still ends FAILED with the same problems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import checks, errors, loading, specs
from pinnace.pipelines.errors import Problem

Cause = dict[str, str]
Validator = Callable[[Object, Object | None], list[Cause]]

_REASON = "FieldValueInvalid"
_RUNTIME = "runtimeConfig."


def problems(spec: Mapping[str, Any], *, arguments: bool = True) -> list[Problem]:
    """Everything wrong with a run's (or a version's) `spec`: shape, references, arguments."""
    try:
        pipeline = loading.load(spec.get("pipelineSpec") or {}, spec.get("platformSpec"))
    except errors.InvalidPipeline as exc:
        return list(exc.problems)
    found = checks.validate(pipeline)
    if arguments and not found:
        runtime = spec.get("runtimeConfig") or {}
        parameters = runtime.get("parameters") if isinstance(runtime, Mapping) else None
        if parameters is not None and not isinstance(parameters, Mapping):
            return [Problem("runtimeConfig.parameters", "expected an object")]
        try:
            checks.arguments(pipeline, parameters or {})
        except errors.InvalidPipeline as exc:
            found = list(exc.problems)
    return found


def field_path(problem: Problem) -> str:
    """Where in the object the problem is, as a Kubernetes field path."""
    if problem.field.startswith(_RUNTIME) or problem.field == _RUNTIME.rstrip("."):
        return f"spec.{problem.field}"
    if problem.field.startswith("platforms."):  # the kfp-kubernetes document (`platforms`)
        return f"spec.platformSpec.{problem.field}"
    parts = ["spec.pipelineSpec"]
    if problem.dag == specs.ROOT:
        parts.append("root")
    elif problem.dag:
        parts.append(f"components[{problem.dag}]")
    if problem.task:
        parts.append(f"dag.tasks[{problem.task}]")
    if problem.field:
        parts.append(problem.field)
    return ".".join(parts)


def causes(found: list[Problem]) -> list[Cause]:
    return [
        {
            "reason": _REASON,
            "message": (
                f"task {problem.task!r}: {problem.message}"
                if problem.task and problem.field.startswith("platforms.")
                else problem.message
            ),
            "field": field_path(problem),
        }
        for problem in found
    ]


def pipeline_run(obj: Object, old: Object | None) -> list[Cause]:
    """A PipelineRun: its IR and its arguments (a run made from a version ref is checked too)."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return []  # the CRD schema requires spec; nothing to add here
    if not spec.get("pipelineSpec") and spec.get("pipelineVersionRef"):
        return []  # the IR is copied in from the version by whoever resolves the ref
    if old is not None and _same_pipeline(spec, old.get("spec")):
        return []  # e.g. `spec.cancel`: the IR admitted before is not judged again
    return causes(problems(spec))


def pipeline_version(obj: Object, old: Object | None) -> list[Cause]:
    """A PipelineVersion (KEP-11551): its IR; it has no arguments, so only the graph."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping) or not spec.get("pipelineSpec"):
        return []
    if old is not None and _same_pipeline(spec, old.get("spec")):
        return []
    return causes(problems(spec, arguments=False))


def _same_pipeline(spec: Mapping[str, Any], old: Any) -> bool:
    if not isinstance(old, Mapping):
        return False
    keys = ("pipelineSpec", "platformSpec", "runtimeConfig")
    return all(spec.get(k) == old.get(k) for k in keys)


VALIDATORS: dict[tuple[str, str], Validator] = {
    (kinds.PIPELINERUNS.group, kinds.PIPELINERUNS.kind): pipeline_run,
}
"""What the composition root hands the API server, keyed by (group, kind)."""
