"""Resolving a component's command and args: every placeholder the kfp compiler writes.

The launcher (`launching`) calls `resolve(items, context)` on the executor's
`command` and `args` once it has built the executor input. Elements are
strings with `{{$...}}` placeholders inline, or the JSON the compiler makes
of `ConcatPlaceholder` (`{"Concat": [...]}`) and `IfPresentPlaceholder`
(`{"IfPresent": {"InputName", "Then", "Else"}}`), nested freely. An
unknown placeholder is an error, never passed through silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\$[^{}]*\}\}")
_IO = re.compile(
    r"^\{\{\$\.(?P<side>inputs|outputs)\.(?P<kind>parameters|artifacts)\['(?P<name>[^']+)'\]"
    r"(?:\.(?P<attr>path|uri|metadata|output_file)(?:\['(?P<key>[^']+)'\])?)?\}\}$"
)


class PlaceholderError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Context:
    """What placeholders resolve against: the executor input plus the run's facts."""

    executor_input: Mapping[str, Any]
    local_paths: Mapping[str, str] = field(default_factory=dict)
    """Artifact uri → the local path the task reads or writes it at."""
    runtime: Mapping[str, str] = field(default_factory=dict)
    """`pipeline_job_name`, `pipeline_task_name`, `pipeline_root`, ... (without `{{$.`/`}}`)."""

    def input_present(self, name: str) -> bool:
        inputs = self.executor_input.get("inputs") or {}
        if (inputs.get("parameterValues") or {}).get(name) is not None:
            return True
        return bool(((inputs.get("artifacts") or {}).get(name) or {}).get("artifacts"))


def parameter_text(value: Any) -> str:
    """A parameter value as a command-line string (as KFP's driver formats it)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def _artifact(ctx: Context, side: str, name: str) -> list[Mapping[str, Any]]:
    group = (ctx.executor_input.get(side) or {}).get("artifacts") or {}
    if name not in group:
        raise PlaceholderError(f"no {side[:-1]} artifact {name!r}")
    return list(group[name].get("artifacts") or [])


def _one(ctx: Context, match: re.Match[str]) -> str:
    side, kind, name = match.group("side"), match.group("kind"), match.group("name")
    attr, key = match.group("attr"), match.group("key")
    if kind == "parameters":
        if side == "inputs" and attr is None:
            values = (ctx.executor_input.get("inputs") or {}).get("parameterValues") or {}
            if name not in values:
                raise PlaceholderError(f"no input parameter {name!r}")
            return parameter_text(values[name])
        if side == "outputs" and attr == "output_file":
            params = (ctx.executor_input.get("outputs") or {}).get("parameters") or {}
            if name not in params:
                raise PlaceholderError(f"no output parameter {name!r}")
            return str(params[name]["outputFile"])
        raise PlaceholderError(f"unsupported placeholder {match.group(0)}")
    artifacts = _artifact(ctx, side, name)
    if attr is None:
        return json.dumps(list(artifacts))
    if not artifacts:
        raise PlaceholderError(f"{side[:-1]} artifact {name!r} has no value")
    art = artifacts[0]
    uri = str(art.get("uri") or "")
    if attr == "uri":
        return uri
    if attr == "path":
        return ctx.local_paths.get(uri, uri)
    if attr == "metadata":
        metadata = art.get("metadata") or {}
        return json.dumps(metadata) if key is None else parameter_text(metadata.get(key))
    raise PlaceholderError(f"unsupported placeholder {match.group(0)}")


def substitute(text: str, ctx: Context) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{$}}":
            return json.dumps(ctx.executor_input)
        if token == "{{$.outputs.output_file}}":
            return str((ctx.executor_input.get("outputs") or {}).get("outputFile") or "")
        io = _IO.match(token)
        if io is not None:
            return _one(ctx, io)
        name = token[4:-2]
        if name in ctx.runtime:
            return ctx.runtime[name]
        raise PlaceholderError(f"unsupported placeholder {token}")

    return _PLACEHOLDER.sub(replace, text)


def _struct(item: Any) -> Mapping[str, Any] | None:
    if isinstance(item, Mapping):
        return item
    if isinstance(item, str) and item.startswith(('{"Concat"', '{"IfPresent"')):
        try:
            parsed = json.loads(item)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _element(item: Any, ctx: Context) -> list[str]:
    struct = _struct(item)
    if struct is None:
        return [substitute(str(item), ctx)]
    if "Concat" in struct:
        return ["".join(part for sub in struct["Concat"] for part in _element(sub, ctx))]
    if "IfPresent" in struct:
        body = struct["IfPresent"]
        branch = (
            body.get("Then") if ctx.input_present(str(body.get("InputName"))) else body.get("Else")
        )
        if branch is None:
            return []
        items = branch if isinstance(branch, list) else [branch]
        return [part for sub in items for part in _element(sub, ctx)]
    raise PlaceholderError(f"unsupported placeholder structure {sorted(struct)}")


def resolve(items: Iterable[Any], ctx: Context) -> list[str]:
    """`command` or `args` with every placeholder resolved, as argv strings."""
    return [part for item in items for part in _element(item, ctx)]
