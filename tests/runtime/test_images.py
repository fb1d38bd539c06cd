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
