"""The launcher end to end as a task pod runs it: real commands, real files, the pip shim."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from pinnace.pipelines import launches, launching, loading, stores

from . import builders
from .builders import BASE


@dsl.component(base_image=BASE)
def scale(x: int, data: dsl.Input[dsl.Dataset], out: dsl.Output[dsl.Dataset]) -> int:
    with open(data.path) as f:
        rows = int(f.read())
    with open(out.path, "w") as f:
        f.write(str(rows * x))
    out.metadata["rows"] = rows * x
    return rows * x


@dsl.container_component
def shout(word: str, loud: dsl.OutputPath(str)):  # type: ignore[no-untyped-def]
    return dsl.ContainerSpec(
        image="alpine",
        command=["sh", "-c", 'printf "%s!" "$0" > "$1"'],
        args=[word, loud],
    )


def executor_of(pipeline_func: Any) -> Any:
    pipeline = loading.load(builders.compiled(pipeline_func))
    (executor,) = pipeline.executors.values()
    return executor.container


def env() -> dict[str, str]:
    """The pod's environment: the platform's venv first on PATH, as the runtime sets it."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def test_a_lightweight_component_runs_with_artifacts_and_outputs(tmp_path: Path) -> None:
    @dsl.pipeline
    def p(x: int, data: dsl.Input[dsl.Dataset]) -> None:
        scale(x=x, data=data)

    container = executor_of(p)
    data = tmp_path / "in" / "data"
    data.parent.mkdir()
    data.write_text("7")
    task = (tmp_path / "task").as_uri()
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="scale",
        task_id="scale",
        command=container.command,
        args=container.args,
        outputs_uri=stores.join(task, stores.OUTPUTS),
        task_root=task,
        parameters={"x": 3},
        artifacts={"data": (launches.Artifact(uri=data.as_uri(), schema_title="system.Dataset"),)},
        output_parameters={"Output": "NUMBER_INTEGER"},
        output_artifacts={"out": launches.OutputArtifact(uri=stores.join(task, "out"))},
    )
    assert launching.launch(launch, environ=env()) == 0
    outputs = launches.Outputs.from_dict(stores.read_json(launch.outputs_uri))
    assert outputs.parameters == {"Output": 21}
    (art,) = outputs.artifacts["out"]
    assert art.metadata == {"rows": 21}
    assert Path(stores.local_path(art.uri) or "").read_text() == "21"
    assert importlib.metadata.version("kfp") == "2.17.3"  # the pip prologue changed nothing


def test_a_container_component_writes_its_output_file(tmp_path: Path) -> None:
    @dsl.pipeline
    def p() -> None:
        shout(word="hey")

    container = executor_of(p)
    task = (tmp_path / "task").as_uri()
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="shout",
        task_id="shout",
        command=container.command,
        args=container.args,
        outputs_uri=stores.join(task, stores.OUTPUTS),
        task_root=task,
        parameters={"word": "hey"},
        output_parameters={"loud": "STRING"},
    )
    assert launching.launch(launch, environ=env()) == 0
    assert stores.read_json(launch.outputs_uri)["parameters"] == {"loud": "hey!"}


def test_the_command_exit_code_is_the_launchers_and_no_outputs_are_written(tmp_path: Path) -> None:
    task = (tmp_path / "task").as_uri()
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="t",
        task_id="t",
        command=("sh", "-c", "exit 4"),
        args=(),
        outputs_uri=stores.join(task, stores.OUTPUTS),
    )
    assert launching.launch(launch, environ=env()) == 4
    assert not Path(stores.local_path(launch.outputs_uri) or "").exists()


def test_a_missing_output_parameter_is_a_launch_error(tmp_path: Path) -> None:
    task = (tmp_path / "task").as_uri()
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="t",
        task_id="t",
        command=("true",),
        args=(),
        outputs_uri=stores.join(task, stores.OUTPUTS),
        output_parameters={"Output": "STRING"},
    )
    with pytest.raises(launching.LaunchError, match="'Output' was not written"):
        launching.launch(launch, environ=env())


def test_the_launcher_entry_point_reads_its_launch_from_the_environment(tmp_path: Path) -> None:
    task = (tmp_path / "task").as_uri()
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="t",
        task_id="t",
        command=("sh", "-c", 'printf "%s" "{{$.inputs.parameters[\'m\']}}" > "$0"'),
        args=("{{$.outputs.parameters['Output'].output_file}}",),
        outputs_uri=stores.join(task, stores.OUTPUTS),
        parameters={"m": "hello"},
        output_parameters={"Output": "STRING"},
    )
    done = subprocess.run(
        [sys.executable, "-m", "pinnace.pipelines.launcher"],
        env={**env(), launches.ENV: launch.to_json()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(Path(stores.local_path(launch.outputs_uri) or "").read_text())[
        "parameters"
    ] == {"Output": "hello"}


def pip(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environ = launching.environment(tmp_path, env())
    return subprocess.run(
        ["python3", "-m", "pip", *args], env=environ, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "requirement",
    [
        pytest.param("kfp==2.9.0", id="older-kfp-pin-is-met-by-the-installed-kfp-2"),
        pytest.param("pyyaml>=5", id="installed-package"),
        pytest.param("typing-extensions>=3.7.4,<5; python_version<'3.9'", id="marker-not-met"),
    ],
)
def test_the_pip_shim_answers_satisfied_without_installing(
    requirement: str, tmp_path: Path
) -> None:
    done = pip(
        "install",
        "--quiet",
        "--no-warn-script-location",
        requirement,
        "--no-deps",
        tmp_path=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert importlib.metadata.version("kfp") == "2.17.3"


@pytest.mark.parametrize(
    ("requirement", "words"),
    [
        pytest.param("no-such-package-pinnace", "is not installed", id="missing"),
        pytest.param("kfp==1.8.22", "kfp 2.17.3 is installed", id="other-major"),
        pytest.param("pyyaml<1", "was asked for", id="version-not-met"),
    ],
)
def test_the_pip_shim_refuses_what_the_environment_lacks(
    requirement: str, words: str, tmp_path: Path
) -> None:
    done = pip("install", requirement, tmp_path=tmp_path)
    assert done.returncode == 1
    assert words in done.stderr and "never install" in done.stderr


def test_the_task_log_is_kept_in_the_store_also_when_the_command_fails(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    task = (tmp_path / "task").as_uri()
    launch = launches.Launch(
        run="r",
        namespace="ns",
        task="t",
        task_id="t",
        command=("sh", "-c", "echo working; echo broken >&2; exit 3"),
        args=(),
        outputs_uri=stores.join(task, stores.OUTPUTS),
        log_uri=stores.join(task, "logs", "pod-1.log"),
    )
    assert launching.launch(launch, environ=env()) == 3
    assert stores.read_text(launch.log_uri) == "working\nbroken\n"
    assert "working\nbroken\n" in capfd.readouterr().out, "the pod's log still gets it all"
