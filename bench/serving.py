"""Model-server benchmark: `.venv/bin/python bench/serving.py [--seconds S]`.

Serves an sklearn iris LogisticRegression with `python -m pinnace.serving.server` (one
process, as a pod runs it) and drives it from this process with a lean keep-alive HTTP
client (raw asyncio streams on uvloop: one connection per concurrent client, a one-row
request each time) at concurrency 1, 8 and 32, for V1 and V2 JSON and V2 binary, then again with adaptive
batching (`--max-batch-size 32`). The
machines are shared and noisy, so the anchor is measured in the same run on the same
CPUs: a bare uvicorn ASGI app (same loop and HTTP parser) that answers every POST
with a fixed JSON body without reading it as a model: the ceiling of any Python server
here. Cold start is process launch → first 200 on `/v2/health/ready`, beside an
interpreter that only imports the server and sklearn.

KServe's own Python ModelServer (0.21, `kserve` from PyPI) is the issue's real target
(at least twice its req/s with p99 ≤ its p99); it is not installed by `make install`, so this
prints the figures measured for it on this kind of machine (reference/kserve.md:
V1 436/514/561 req/s, p99 3.5/20.9/68.2 ms; V2 404/437/438, p99 3.2/22.5/79.6 ms, at
c = 1/8/32, sklearnserver, `hey`) as a reference, not as a same-run anchor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import joblib
import orjson
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

CONCURRENCY = (1, 8, 32)
KSERVE = {
    "v1": {1: (436, 3.5), 8: (514, 20.9), 32: (561, 68.2)},
    "v2-json": {1: (404, 3.2), 8: (437, 22.5), 32: (438, 79.6)},
}
ANCHOR = textwrap.dedent(
    """
    import sys, uvicorn
    BODY = b'{"predictions":[0]}'
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            while (await receive()).get("more_body"):
                pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(BODY)).encode())]})
        await send({"type": "http.response.body", "body": BODY})
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
                lifespan="off", access_log=False, server_header=False, date_header=False,
                log_level="warning")
    """
)


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ok(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.communicate()[1].decode()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return time.monotonic() - started
        time.sleep(0.01)
    raise SystemExit(f"{url} not ready")


@contextlib.contextmanager
def process(command: list[str], ready_url: str) -> Iterator[float]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield wait_ok(ready_url, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request_bytes(path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def one_client(
    port: int, request: bytes, until: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    clock = time.perf_counter
    try:
        while clock() < until:
            started = clock()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(clock() - started)
            if head[9:12] != b"200":
                errors.append(1)
    finally:
        writer.close()


async def load(port: int, request: bytes, concurrency: int, seconds: float) -> Result:
    await load_for(port, request, concurrency, min(seconds, 0.5), [], [])  # warm up
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    await load_for(port, request, concurrency, seconds, latencies, errors)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(
        rps=len(latencies) / elapsed,
        p50_ms=1000 * latencies[len(latencies) // 2],
        p99_ms=1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors=len(errors),
    )


async def load_for(
    port: int,
    request: bytes,
    concurrency: int,
    seconds: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    until = time.perf_counter() + seconds
    await asyncio.gather(
        *(one_client(port, request, until, latencies, errors) for _ in range(concurrency))
    )


def requests(row: list[float]) -> dict[str, bytes]:
    v1 = orjson.dumps({"instances": [row]})
    v2 = orjson.dumps(
        {"inputs": [{"name": "input-0", "datatype": "FP64", "shape": [1, 4], "data": [row]}]}
    )
    head = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "input-0",
                    "datatype": "FP64",
                    "shape": [1, 4],
                    "parameters": {"binary_data_size": 32},
                }
            ],
            "parameters": {"binary_data_output": True},
        }
    )
    binary = head + struct.pack("<4d", *row)
    return {
        "v1": request_bytes("/v1/models/iris:predict", v1),
        "v2-json": request_bytes("/v2/models/iris/infer", v2),
        "v2-binary": request_bytes(
            "/v2/models/iris/infer", binary, {"Inference-Header-Content-Length": str(len(head))}
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    data = load_iris()
    model = LogisticRegression(max_iter=1000).fit(data.data, data.target)
    row = [float(v) for v in data.data[0]]
    directory = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    joblib.dump(model, directory / "model.joblib")
    print(f"model: sklearn LogisticRegression on iris; {os.cpu_count()} CPUs; {args.seconds}s/step")

    rows: list[tuple[str, str, int, Result]] = []
    port = free_port()
    with process([sys.executable, "-c", ANCHOR, str(port)], f"http://127.0.0.1:{port}/"):
        for concurrency in CONCURRENCY:
            result = asyncio.run(load(port, requests(row)["v1"], concurrency, args.seconds))
            rows.append(("anchor: bare uvicorn", "-", concurrency, result))

    def pinnace(port: int, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pinnace.serving.server",
            "--model-name",
            "iris",
            "--model-dir",
            str(directory),
            "--http-port",
            str(port),
            "--host",
            "127.0.0.1",
            *extra,
        ]

    for label, extra in (("pinnace", ()), ("pinnace, batching 32", ("--max-batch-size", "32"))):
        port = free_port()
        with process(pinnace(port, *extra), f"http://127.0.0.1:{port}/v2/health/ready"):
            for protocol, request in requests(row).items():
                if extra and protocol == "v2-binary":
                    continue
                for concurrency in CONCURRENCY:
                    result = asyncio.run(load(port, request, concurrency, args.seconds))
                    rows.append((label, protocol, concurrency, result))

    starts = []
    for _ in range(3):
        port = free_port()
        with process(pinnace(port), f"http://127.0.0.1:{port}/v2/health/ready") as seconds:
            starts.append(seconds)
    imports = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-c", "import pinnace.serving.server, sklearn.linear_model, joblib"],
            check=True,
        )
        imports.append(time.monotonic() - started)

    anchors = {c: r for name, _, c, r in rows if name.startswith("anchor")}
    print()
    print(
        f"{'server':<24}{'proto':<11}{'c':>3}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'/anchor':>9}{'/kserve':>9}{'p99/kserve':>12}"
    )
    for name, protocol, concurrency, result in rows:
        kserve = KSERVE.get(protocol, {}).get(concurrency)
        ratio = f"{result.rps / kserve[0]:.2f}x" if kserve else "-"
        p99_ratio = f"{result.p99_ms / kserve[1]:.2f}" if kserve else "-"
        print(
            f"{name:<24}{protocol:<11}{concurrency:>3}{result.rps:>9.0f}{result.p50_ms:>9.2f}"
            f"{result.p99_ms:>9.2f}{result.errors:>8}"
            f"{result.rps / anchors[concurrency].rps:>8.2f}x{ratio:>9}{p99_ratio:>12}"
        )
    print()
    print(
        f"cold start (launch → ready): median {statistics.median(starts):.2f}s "
        f"({', '.join(f'{s:.2f}' for s in starts)}); "
        f"anchor (interpreter importing server + sklearn): {statistics.median(imports):.2f}s; "
        "KServe reference 4.2-4.5s"
    )
    print(
        "/kserve compares with KServe 0.21's figures from reference/kserve.md "
        "(measured with hey on this kind of machine, not in this run)."
    )


if __name__ == "__main__":
    main()
