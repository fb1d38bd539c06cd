"""A real `pinnace up` (the CLI, as a user starts it) and the real clients that drive it.

`platform` is shared by the whole e2e session; tests that kill the platform
start their own with `Platform.launch`. Every test uses its own namespace or
object names so they do not see each other.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

PINNACE = [sys.executable, "-m", "pinnace.cli.main"]
_PR_SET_PDEATHSIG = 1


def _die_with_the_tests() -> None:
    """In the child: SIGTERM when the test process dies, so an aborted run leaks no platform."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_serial = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Platform:
    def __init__(self, data_dir: Path, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.data_dir = data_dir
        self.port = port
        self.proc = proc
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.kubeconfig = data_dir / "kubeconfig"

    @classmethod
    def launch(
        cls,
        data_dir: Path,
        port: int | None = None,
        *,
        timeout: float = 30,
        args: tuple[str, ...] = (),
    ) -> Platform:
        port = port or free_port()
        log = data_dir.parent / f"{data_dir.name}-{port}.log"
        out = open(log, "ab")  # noqa: SIM115 - handed to the child, closed below
        proc = subprocess.Popen(
            [
                *PINNACE,
                "up",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--watch-history",
                "500",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_the_tests,
        )
        out.close()  # the child holds its own copy
        platform = cls(data_dir, port, proc, log)
        platform.wait_ready(timeout)
        return platform

    def wait_ready(self, timeout: float = 30) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"pinnace up exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}"
                )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r,
            ):
                if r.status == 200:
                    return time.monotonic() - start
            time.sleep(0.05)
        raise TimeoutError(f"pinnace up not ready in {timeout}s:\n{self.log.read_text()[-4000:]}")

    @property
    def token(self) -> str:
        return str(yaml.safe_load(self.kubeconfig.read_text())["users"][0]["user"]["token"])

    def env(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.data_dir.parent)}

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["kubectl", *args],
            input=input,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def kubectl_yaml(self, *args: str) -> Any:
        return yaml.safe_load(self.kubectl(*args, "-o", "yaml").stdout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return int(self.proc.returncode)


def wait_for(
    predicate: Any, timeout: float = 30, interval: float = 0.1, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    if shutil.which("kubectl") is None:
        raise RuntimeError("kubectl is not on PATH: `make install` provides it")
    base = tmp_path_factory.mktemp("pinnace")
    running = Platform.launch(base / "data")
    yield running
    code = running.stop()
    assert code == 0, (
        f"pinnace up exited with {code} on SIGTERM:\n{running.log.read_text()[-3000:]}"
    )


@pytest.fixture
def namespace(platform: Platform, request: pytest.FixtureRequest) -> Iterator[str]:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    name = f"t-{slug[:40].strip('-')}-{next(_serial)}"
    platform.kubectl("create", "namespace", name)
    yield name
    platform.kubectl("delete", "namespace", name, "--wait=false", check=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
