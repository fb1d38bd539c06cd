"""A pipeline file → KFP v2 IR: `.py` compiled by the real kfp compiler, `.yaml` read as it is.

`runs` calls `source(path, pick)` before it creates the PipelineRun. A Python
file is imported as a module of its own (its directory first on `sys.path`,
so its local imports work); its `@dsl.pipeline` functions are the kfp
`GraphComponent`s it defines (not those it imports), and `pick` chooses one
when there are several. kfp's `Compiler` writes the IR, with the platform-spec
second document when kfp-kubernetes features are used; a YAML (or JSON) file
is split into the same two documents by `pipelines.loading.documents`. kfp is
imported here only, in the command's process: the platform never imports it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pinnace.pipelines import errors, loading

YAML_SUFFIXES = (".yaml", ".yml", ".json")


class CannotCompile(Exception):
    """The file is not a pipeline we can run; the message says why."""


@dataclass(frozen=True, slots=True)
class Source:
    ir: dict[str, Any]
    platform: dict[str, Any]
    origin: str
    """What it came from: `pipeline.py:my_pipeline` or `pipeline.yaml`."""


@contextlib.contextmanager
def _importable(directory: Path) -> Iterator[None]:
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(directory))


def _module(path: Path) -> Any:
    name = f"pinnace_run_{path.stem.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CannotCompile(f"{path}: not an importable Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with _importable(path.parent):
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # the user's code: any error is theirs, shown as such
            raise CannotCompile(
                f"{path}: importing it failed: {type(exc).__name__}: {exc}"
            ) from exc
    return module


def pipelines_in(module: Any) -> dict[str, Any]:
    """The `@dsl.pipeline` functions `module` defines, by their Python name."""
    from kfp.dsl import graph_component

    found: dict[str, Any] = {}
    for attr, value in vars(module).items():
        if not isinstance(value, graph_component.GraphComponent):
            continue
        func = getattr(value, "pipeline_func", None)
        if getattr(func, "__module__", module.__name__) != module.__name__:
            continue  # imported from elsewhere (a sub-pipeline): not this file's pipeline
        found[attr] = value
    return found


def compile_python(path: Path, pick: str | None = None) -> Source:
    from kfp import compiler

    found = pipelines_in(_module(path))
    if not found:
        raise CannotCompile(f"{path}: no @dsl.pipeline function in it")
    if pick is not None:
        if pick not in found:
            raise CannotCompile(
                f"{path}: no pipeline {pick!r} (pipelines: {', '.join(sorted(found))})"
            )
        name = pick
    elif len(found) > 1:
        raise CannotCompile(
            f"{path}: several pipelines ({', '.join(sorted(found))}); pick one with --pipeline"
        )
    else:
        (name,) = found
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pipeline.yaml"
        try:
            compiler.Compiler().compile(found[name], str(out))
        except Exception as exc:  # kfp's compiler raises many kinds; all mean "not compilable"
            raise CannotCompile(f"{path}:{name}: kfp could not compile it: {exc}") from exc
        ir, platform = loading.documents(out.read_text())
    return Source(ir, platform, f"{path.name}:{name}")


def read_yaml(path: Path) -> Source:
    try:
        ir, platform = loading.documents(path.read_text())
    except errors.InvalidPipeline as exc:
        raise CannotCompile(f"{path}: {exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CannotCompile(f"{path}: not a YAML pipeline: {exc}") from exc
    return Source(ir, platform, path.name)


def source(path: Path, pick: str | None = None) -> Source:
    """The IR (and platform spec) of the pipeline in `path`."""
    if not path.is_file():
        raise CannotCompile(f"{path}: no such file")
    if path.suffix == ".py":
        return compile_python(path, pick)
    if path.suffix in YAML_SUFFIXES:
        if pick is not None:
            raise CannotCompile(f"{path}: --pipeline picks a function of a .py file")
        return read_yaml(path)
    raise CannotCompile(f"{path}: expected a .py, .yaml, .yml or .json pipeline")
