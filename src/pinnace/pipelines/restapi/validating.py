"""IR and arguments checked before anything is created: KFP's 400 naming the task and field.

The same loading and checks the run controller applies (`loading`, `checks`),
run at the facade so a bad upload or run is refused whole: an unparseable
file, malformed IR, an unknown component, a missing required parameter or a
parameter of the wrong type answer INVALID_ARGUMENT with every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from pinnace.pipelines import checks, loading, specs
from pinnace.pipelines import errors as pipeline_errors
from pinnace.pipelines.restapi import errors


def documents(text: str, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A compiled pipeline file (YAML or JSON) → (pipeline spec, platform spec or {})."""
    try:
        return loading.documents(text)
    except yaml.YAMLError as exc:
        raise errors.InvalidArgument(f"{what}: not a YAML or JSON pipeline file: {exc}") from exc
    except pipeline_errors.InvalidPipeline as exc:
        raise errors.InvalidArgument(f"{what}: {exc}") from exc


def split(value: Any, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A REST `pipeline_spec` → (IR, platform spec): the IR itself, or kfp.Client's
    `{pipeline_spec, platform_spec}` wrapper for a file with a platform-spec document."""
    if not isinstance(value, Mapping):
        raise errors.InvalidArgument(f"{what}: must be a pipeline spec object")
    if "pipeline_spec" in value and "root" not in value:
        spec, platform = value.get("pipeline_spec"), value.get("platform_spec") or {}
        if not isinstance(spec, Mapping) or not isinstance(platform, Mapping):
            raise errors.InvalidArgument(f"{what}.pipeline_spec: must be an object")
        return dict(spec), dict(platform)
    return dict(value), {}


def pipeline(spec: Mapping[str, Any], platform: Mapping[str, Any], what: str) -> specs.Pipeline:
    """The loaded graph of valid IR; else InvalidArgument listing every problem."""
    try:
        loaded = loading.load(spec, platform or None)
        problems = checks.validate(loaded)
        if problems:
            raise pipeline_errors.InvalidPipeline(problems)
    except pipeline_errors.InvalidPipeline as exc:
        raise errors.InvalidArgument(f"{what}: {exc}") from exc
    return loaded


def arguments(loaded: specs.Pipeline, parameters: Mapping[str, Any]) -> None:
    """Refuse unknown, missing or mistyped `runtime_config.parameters`."""
    try:
        checks.arguments(loaded, parameters)
    except pipeline_errors.InvalidPipeline as exc:
        raise errors.InvalidArgument(f"invalid run: {exc}") from exc
