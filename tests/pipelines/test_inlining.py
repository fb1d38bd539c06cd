"""kfp's lightweight-component command run inline: recognised exactly, same outcome as the shell."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from pinnace.pipelines import inlining, loading

from . import builders
from .builders import BASE


@dsl.component(base_image=BASE)
def double(x: int) -> int:
    print("doubling", x)
    return 2 * x


@dsl.component(base_image=BASE, install_kfp_package=False)
def double_nopip(x: int) -> int:
    return 2 * x


@dsl.component(base_image=BASE)
def fail(x: int) -> int:
    raise ValueError(f"no {x}")


@dsl.component(base_image=BASE, packages_to_install=["surely-not-installed-pkg==9.9"])
def needs_package(x: int) -> int:
    return x


def argv_of(component: Any, tmp_path: Path) -> tuple[list[str], Path]:
    @dsl.pipeline
    def p() -> None:
        component(x=21)

    pipeline = loading.load(builders.compiled(p))
    (executor,) = pipeline.executors.values()
    container = executor.container
    out = tmp_path / "Output"
    executor_input = {
        "inputs": {"parameterValues": {"x": 21}},
        "outputs": {
            "parameters": {"Output": {"outputFile": str(out)}},
            "outputFile": str(tmp_path / "executor_output.json"),
        },
    }
    args = [json.dumps(executor_input) if a == "{{$}}" else str(a) for a in container.args]
    return [str(c) for c in container.command] + args, tmp_path / "executor_output.json"


def env() -> dict[str, str]:
    """The platform's venv first on PATH, as the runtime gives it to a task pod."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


@pytest.mark.parametrize("component", [double, double_nopip], ids=["with-pip-line", "without"])
def test_the_compilers_command_is_recognised(component: Any, tmp_path: Path) -> None:
    argv, _ = argv_of(component, tmp_path)
    found = inlining.recognise(argv)
    assert found is not None
    assert found.args[-2:] == ("--function_to_execute", component.name.replace("-", "_"))
    assert f"def {component.name.replace('-', '_')}(" in found.source
    if component is double:
        (install,) = found.installs
        assert any(r.startswith("kfp==") for r in install)
    else:
        assert found.installs == ()


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["sh", "-c", "echo hi"], id="a-shell-command"),
        pytest.param(["python3", "-c", "print(1)"], id="python"),
        pytest.param(["sh", "-ec", "program_path=$(mktemp -d)", "src"], id="another-program"),
        pytest.param([], id="empty"),
    ],
)
def test_other_commands_are_not(argv: list[str]) -> None:
    assert inlining.recognise(argv) is None
    assert inlining.run(argv, env()) is None


def test_an_inline_run_gives_what_the_shell_gives(tmp_path: Path, capfd: Any) -> None:
    argv, output_file = argv_of(double, tmp_path / "inline")
    assert inlining.run(argv, env()) == 0
    inline = json.loads(output_file.read_text())
    assert "doubling 21" in capfd.readouterr().out

    argv, output_file = argv_of(double, tmp_path / "shell")
    assert subprocess.run(argv, env=env(), capture_output=True).returncode == 0
    assert json.loads(output_file.read_text()) == inline == {"parameterValues": {"Output": 42}}


def test_an_inline_failure_has_the_exit_code_and_traceback(tmp_path: Path, capfd: Any) -> None:
    argv, output_file = argv_of(fail, tmp_path)
    assert inlining.run(argv, env()) == 1
    assert "ValueError: no 21" in capfd.readouterr().err
    assert not output_file.exists()


def test_unmet_requirements_take_the_general_path(tmp_path: Path) -> None:
    argv, _ = argv_of(needs_package, tmp_path)
    assert inlining.recognise(argv) is not None
    assert inlining.run(argv, env()) is None  # the shim's path handles packages_to_install


def test_another_python3_on_path_takes_the_general_path(tmp_path: Path) -> None:
    argv, _ = argv_of(double, tmp_path)
    other = tmp_path / "bin"
    other.mkdir()
    (other / "python3").symlink_to("/bin/true")
    assert inlining.run(argv, {**env(), "PATH": f"{other}{os.pathsep}{env()['PATH']}"}) is None
