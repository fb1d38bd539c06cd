"""`pinnace status` against a running platform and against a data dir with none."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.e2e.conftest import PINNACE, Platform


def test_status_of_a_running_platform(platform: Platform) -> None:
    result = subprocess.run(
        [*PINNACE, "status", "--data-dir", str(platform.data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert f"up at {platform.url}" in result.stderr
    assert "pinnace" in result.stderr and "True" in result.stderr  # the node, Ready


def test_status_without_a_platform(tmp_path: Path) -> None:
    result = subprocess.run(
        [*PINNACE, "status", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "no platform has run" in result.stderr


def test_up_on_a_taken_port_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*PINNACE, "up", "--port", str(port), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
