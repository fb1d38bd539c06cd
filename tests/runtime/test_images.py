from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pinnace.runtime import images


def test_default_is_the_platform_environment() -> None:
    envs = images.Environments()
    env = envs.environ("python:3.11", "/usr/bin")
    assert env["PATH"] == f"{Path(sys.prefix) / 'bin'}:/usr/bin"
    assert env["VIRTUAL_ENV"] == sys.prefix


def test_first_matching_glob_wins(tmp_path: Path) -> None:
    envs = images.Environments(
        mapping=images.parse_mapping(f"tensorflow/*={tmp_path}/tf, *:gpu={tmp_path}/gpu"),
        default=tmp_path / "base",
    )
    assert envs.venv_for("tensorflow/tensorflow:2.15") == tmp_path / "tf"
    assert envs.venv_for("pytorch:gpu") == tmp_path / "gpu"
    assert envs.venv_for("busybox") == tmp_path / "base"
    assert envs.image_id("busybox") != envs.image_id("pytorch:gpu")


def test_bad_mapping() -> None:
    with pytest.raises(ValueError, match="glob=venv"):
        images.parse_mapping("nonsense")


@pytest.mark.parametrize(
    "image",
    [
        pytest.param("kubeflownotebookswg/jupyter-scipy:v1.9.0", id="scipy"),
        pytest.param("kubeflownotebookswg/jupyter-pytorch-full:v1.10.0", id="pytorch"),
        pytest.param("docker.io/kubeflownotebookswg/jupyter:v1.8.0", id="registry"),
        pytest.param("ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-scipy:v1.10.0", id="ghcr"),
        pytest.param("quay.io/jupyter/scipy-notebook:2024-01-15", id="docker-stacks"),
    ],
)
def test_notebook_images_start_jupyterlab(image: str) -> None:
    envs = images.Environments()
    argv = envs.argv(image, [], [])
    assert argv[:2] == ["jupyter", "lab"]
    assert "--ServerApp.base_url=$(NB_PREFIX)" in argv
    assert "--ServerApp.ip=$(POD_IP)" in argv
    env = envs.environ(image, "/usr/bin")
    assert env["HOME"] == "/home/jovyan"
    assert env["NB_PREFIX"] == "/"


def test_args_replace_the_cmd_and_command_replaces_the_entrypoint() -> None:
    envs = images.Environments(
        images=(images.Image("tool:*", entrypoint=("tool",), cmd=("--default",)),)
    )
    assert envs.argv("tool:1", [], []) == ["tool", "--default"]
    assert envs.argv("tool:1", [], ["--mine"]) == ["tool", "--mine"]
    assert envs.argv("tool:1", ["other"], ["x"]) == ["other", "x"]


def test_an_image_without_entrypoint_needs_a_command() -> None:
    envs = images.Environments()
    assert envs.argv("busybox", ["sh"], ["-c", "true"]) == ["sh", "-c", "true"]
    assert envs.argv("python:3.11", [], ["python3", "-V"]) == ["python3", "-V"]
    with pytest.raises(images.NoEntrypoint, match="'busybox' has no entrypoint"):
        envs.argv("busybox", [], [])
    assert "HOME" not in envs.environ("busybox", "/usr/bin")


def test_a_mapped_venv_keeps_the_table_entrypoint(tmp_path: Path) -> None:
    envs = images.Environments(
        mapping=images.parse_mapping(f"kubeflownotebookswg/jupyter-pytorch*={tmp_path}/torch")
    )
    image = "kubeflownotebookswg/jupyter-pytorch-full:v1.10.0"
    assert envs.venv_for(image) == tmp_path / "torch"
    assert envs.argv(image, [], [])[:2] == ["jupyter", "lab"]
    row = images.Image("my/lab:*", venv=tmp_path / "lab", entrypoint=("jupyter", "lab"))
    assert images.Environments(images=(row,)).venv_for("my/lab:1") == tmp_path / "lab"


@pytest.mark.parametrize(
    "image",
    [
        pytest.param("registry.k8s.io/pause:3.10", id="registry-k8s-io"),
        pytest.param("registry.k8s.io/pause", id="untagged"),
        pytest.param("k8s.gcr.io/pause:3.2", id="k8s-gcr-io"),
        pytest.param("registry.k8s.io/pause@sha256:" + "0" * 64, id="digest"),
    ],
)
def test_pause_images_sleep_until_stopped(image: str) -> None:
    argv = images.Environments().argv(image, [], [])
    assert argv[0] == sys.executable and "signal.pause()" in argv[-1]


def test_other_images_named_pause_are_not_the_pause_image() -> None:
    with pytest.raises(images.NoEntrypoint):
        images.Environments().argv("example.com/pause:1", [], [])
    with pytest.raises(images.NoEntrypoint):
        images.Environments().argv("registry.k8s.io/pause-fake:1", [], [])
