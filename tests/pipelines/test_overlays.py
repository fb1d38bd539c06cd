"""`packages_to_install`: a cached per-requirements environment the task sees as an overlay."""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import concurrent.futures
import functools
import importlib.metadata
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from pinnace.pipelines import launches, launching, loading, stores
from pinnace.pipelines.shim.pip import overlays

from . import builders, wheels
from .builders import BASE

PACKAGE = "pinnace-tiny-probe"


@dsl.component(base_image=BASE, packages_to_install=[f"{PACKAGE}==1.0"])
def probe() -> str:
    import pinnace_tiny_probe

    return pinnace_tiny_probe.VALUE


@pytest.fixture
def find_links(tmp_path: Path) -> Path:
    links = tmp_path / "wheels"
    wheels.build(links, PACKAGE, "1.0", 'VALUE = "from the overlay"\n')
    return links


@functools.cache
def container() -> Any:
    @dsl.pipeline
    def p() -> None:
        probe()

    (executor,) = loading.load(builders.compiled(p)).executors.values()
    return executor.container


def launch_of(tmp_path: Path, name: str, envs: Path) -> launches.Launch:
    c = container()
    task = (tmp_path / name).as_uri()
    return launches.Launch(
        run="r",
        namespace="ns",
        task="probe",
        task_id=name,
        command=c.command,
        args=c.args,
        outputs_uri=stores.join(task, stores.OUTPUTS),
        task_root=task,
        output_parameters={"Output": "STRING"},
        envs_dir=str(envs),
    )


def environ(find_links: Path) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, "PATH": path, "PIP_FIND_LINKS": str(find_links), "PIP_NO_INDEX": "1"}


def test_a_missing_package_is_installed_once_into_a_cached_env_never_the_platforms(
    tmp_path: Path, find_links: Path
) -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version(PACKAGE)
    envs = tmp_path / "envs"
    launch = launch_of(tmp_path, "first", envs)
    assert launching.launch(launch, environ=environ(find_links)) == 0
    outputs = launches.Outputs.from_dict(stores.read_json(launch.outputs_uri))
    assert outputs.parameters == {"Output": "from the overlay"}

    (env,) = [p for p in envs.iterdir() if not p.name.startswith(".")]
    assert (env / overlays.MARKER).exists()
    assert (env / "pinnace_tiny_probe" / "__init__.py").exists()
    # The platform's environment is unchanged: the package is not importable here.
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version(PACKAGE)
    assert not list(Path(sys.prefix).glob("lib/python*/site-packages/pinnace_tiny_probe*"))
    built = (env / overlays.MARKER).stat().st_mtime_ns

    # Concurrent tasks with the same requirements share the cached env: nothing is rebuilt.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        codes = list(
            pool.map(
                lambda name: launching.launch(
                    launch_of(tmp_path, name, envs), environ=environ(find_links)
                ),
                ["second", "third"],
            )
        )
    assert codes == [0, 0]
    assert [p for p in envs.iterdir() if not p.name.startswith(".")] == [env]
    assert (env / overlays.MARKER).stat().st_mtime_ns == built


def test_concurrent_first_builds_wait_for_one_another(tmp_path: Path, find_links: Path) -> None:
    envs = tmp_path / "envs"
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        codes = list(
            pool.map(
                lambda name: launching.launch(
                    launch_of(tmp_path, name, envs), environ=environ(find_links)
                ),
                ["a", "b", "c"],
            )
        )
    assert codes == [0, 0, 0]
    assert len([p for p in envs.iterdir() if not p.name.startswith(".")]) == 1
    for name in "abc":
        outputs = stores.read_json(stores.join((tmp_path / name).as_uri(), stores.OUTPUTS))
        assert outputs["parameters"] == {"Output": "from the overlay"}


def test_a_package_the_index_does_not_have_fails_the_task_with_uvs_reason(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    launch = launch_of(tmp_path, "missing", tmp_path / "envs")
    assert launching.launch(launch, environ=environ(empty)) != 0
    err = capfd.readouterr().err
    assert f"cannot install {PACKAGE}==1.0" in err
    assert not [p for p in (tmp_path / "envs").iterdir() if not p.name.startswith(".")]


@pytest.mark.parametrize(
    ("args", "env", "flags"),
    [
        pytest.param(["-i", "https://x/simple"], {}, ["--index-url", "https://x/simple"], id="i"),
        pytest.param(["--find-links=/w"], {}, ["--find-links", "/w"], id="find-links"),
        pytest.param(
            ["--trusted-host", "x"], {}, ["--allow-insecure-host", "x"], id="trusted-host"
        ),
        pytest.param([], {"PIP_NO_INDEX": "1"}, ["--no-index"], id="pip-env"),
    ],
)
def test_pip_index_options_become_uvs(
    args: list[str], env: dict[str, str], flags: list[str]
) -> None:
    assert overlays.index_options(args, env) == flags


def test_the_key_depends_on_the_sorted_requirements_and_options() -> None:
    assert overlays.key(["b", "a"], []) == overlays.key(["a", "b"], [])
    assert overlays.key(["a"], []) != overlays.key(["a", "b"], [])
    assert overlays.key(["a"], []) != overlays.key(["a"], ["--no-index"])
