"""Model servers as real processes on real ports, the way a pod runs them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx

SERVER = [sys.executable, "-m", "pinnace.serving.server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_ready(running: Running, timeout: float = 180.0) -> float:
    """Seconds until `/v2/health/ready` answers 200 (fails if the process exits first)."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            _, err = running.process.communicate()
            raise AssertionError(f"server exited {running.process.returncode}: {err.decode()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{running.url}/v2/health/ready", timeout=1).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.02)  # polling a condition, not waiting a fixed time
    raise AssertionError("server not ready in time")


@contextlib.contextmanager
def serving(args: Sequence[str], *, command: Sequence[str] = SERVER) -> Iterator[Running]:
    port = free_port()
    process = subprocess.Popen(
        [*command, *args, "--http-port" if command is SERVER else "--http_port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "POD_IP": "127.0.0.1"},
    )
    running = Running(process, port)
    try:
        wait_ready(running)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
