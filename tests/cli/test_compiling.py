"""Pipeline files → IR: a .py through the real kfp compiler, a .yaml read as it is."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pinnace.cli import compiling

COMPONENTS = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b
"""


def write(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body))
    return path


def two_pipelines(tmp_path: Path) -> Path:
    write(
        tmp_path / "parts.py",
        COMPONENTS
        + """

@dsl.pipeline
def imported(x: int = 1) -> int:
    return add(a=x, b=1).output
""",
    )
    return write(
        tmp_path / "flows.py",
        """
from kfp import dsl
from parts import add, imported


@dsl.pipeline(name="first-flow")
def first(x: int = 1) -> int:
    return add(a=x, b=1).output


@dsl.pipeline
def second(y: int) -> int:
    return imported(x=y).output
""",
    )


def test_a_single_pipeline_is_compiled_by_kfp(tmp_path: Path) -> None:
    path = write(
        tmp_path / "one.py",
        COMPONENTS
        + """

@dsl.pipeline
def only(x: int = 3) -> int:
    return add(a=x, b=1).output
""",
    )
    src = compiling.source(path)
    assert src.origin == "one.py:only"
    assert src.ir["pipelineInfo"]["name"] == "only"
    assert (
        src.ir["root"]["inputDefinitions"]["parameters"]["x"]["parameterType"] == "NUMBER_INTEGER"
    )
    assert src.platform == {}


def test_several_pipelines_need_a_pick_and_imported_ones_do_not_count(tmp_path: Path) -> None:
    path = two_pipelines(tmp_path)
    with pytest.raises(compiling.CannotCompile, match=r"several pipelines \(first, second\)"):
        compiling.source(path)
    src = compiling.source(path, "second")
    assert src.ir["pipelineInfo"]["name"] == "second"
    assert "comp-imported" in src.ir["components"], "the imported pipeline is a sub-DAG"
    assert compiling.source(path, "first").ir["pipelineInfo"]["name"] == "first-flow"
    with pytest.raises(compiling.CannotCompile, match=r"no pipeline 'imported'"):
        compiling.source(path, "imported")


def test_a_yaml_is_read_with_its_platform_document(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ir.yaml",
        """
pipelineInfo: {name: p}
root: {dag: {tasks: {}}}
---
platforms: {kubernetes: {}}
""",
    )
    src = compiling.source(path)
    assert src.ir["pipelineInfo"] == {"name": "p"}
    assert src.platform == {"platforms": {"kubernetes": {}}}


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        pytest.param("none.py", "x = 1\n", "no @dsl.pipeline function", id="no-pipeline"),
        pytest.param(
            "broken.py",
            "import nowhere_at_all\n",
            "importing it failed: ModuleNotFoundError",
            id="import-error",
        ),
        pytest.param("bad.yaml", "a: [\n", "not a YAML pipeline", id="bad-yaml"),
        pytest.param("empty.yaml", "", "no PipelineSpec document", id="empty-yaml"),
        pytest.param("notes.txt", "hi", "expected a .py, .yaml", id="suffix"),
    ],
)
def test_what_is_not_a_pipeline_is_refused_saying_why(
    tmp_path: Path, name: str, body: str, message: str
) -> None:
    with pytest.raises(compiling.CannotCompile, match=message):
        compiling.source(write(tmp_path / name, body))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(compiling.CannotCompile, match="no such file"):
        compiling.source(tmp_path / "gone.py")
