"""Control-plane benchmark: `make bench` (`.venv/bin/python bench/control_plane.py`).

Starts a real `pinnace up` on a temporary data dir and a free port, talks to it
over HTTP with the bearer token it writes (as any client would), and prints one
table. Nothing is asserted about time: these machines are shared and noisy, so
every figure stands beside an anchor measured in the same run, on the same
disk and CPUs, and the ratio between them is what to compare across runs.
CPU per create is the figure load from other tenants moves least.

| figure | how | anchor |
|---|---|---|
| ready | process start → first `GET /healthz` 200 | bare interpreter importing `pinnace.cli.platform` |
| idle RSS | RSS summed over the process tree after start, no pods | bare interpreter with the same imports |
| creates/s | 2,000 ConfigMap POSTs through the gateway, 32 in flight (one aiohttp session) | raw SQLite single-row commits/s, WAL + synchronous=FULL, same disk, just before and after (mean) |
| CPU per create | pinnace's CPU seconds (psutil) over the creates / creates | the bench client's own CPU per create |
| watch p50/p99 | write response → its event on an already-open watch, one write at a time | GET round trip of the same object |
| pod → Running p50 | POST pod → watch event with phase Running, one pod at a time | the same command spawned directly (fork + exec) |

Targets (issue 2): ≥ 1,000 creates/s and ≥ 25 % of raw SQLite; watch p50 ≤ 5 ms;
pod create → Running p50 ≤ 150 ms; ready ≤ 3 s; idle RSS ≤ 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psutil

PINNACE = Path(sys.executable).with_name("pinnace")
SLEEPER = ["python3", "-c", "import time; time.sleep(60)"]
MB = 1024 * 1024


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    met: bool | None
    """None for an informational row without a target."""
    anchor: str = ""
    anchor_value: float | None = None
    ratio: str = ""


# -- the platform under test ----------------------------------------------------


@dataclass
class Platform:
    proc: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    ready_s: float

    @property
    def headers(self) -> dict[str, str]:
        token = (self.data_dir / "token").read_text().strip()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(data_dir: Path, log: Path, timeout: float = 30) -> Platform:
    """Start `pinnace up` and time it from process start to `/healthz` 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(PINNACE), "up", "--port", str(port), "--data-dir", str(data_dir)]
    start = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"pinnace up exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
            if r.status == 200:
                return Platform(proc, url, data_dir, time.perf_counter() - start)
        time.sleep(0.005)
    proc.kill()
    raise TimeoutError(f"pinnace up not ready in {timeout}s:\n{log.read_text()[-3000:]}")


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    root = psutil.Process(pid)
    total = 0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


def bare_interpreter(code: str) -> tuple[float, int]:
    """Wall time and peak RSS of `python -c code` in the platform's environment."""
    probe = f"{code}\nimport resource, sys\nsys.stdout.write(str(resource.getrusage(0).ru_maxrss))"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True).stdout
    return time.perf_counter() - start, int(out) * 1024


# -- anchors --------------------------------------------------------------------


def raw_sqlite_inserts(path: Path, *, rows: int, payload: bytes) -> float:
    """Single-row-commit inserts/s into a new database at `path`, with the store's pragmas."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma synchronous=full")
    db.execute("create table t (k text primary key, rv integer, data blob) without rowid")
    start = time.perf_counter()
    for i in range(rows):
        db.execute("insert into t values (?,?,?)", (f"cm-{i}", i, payload))
    elapsed = time.perf_counter() - start
    db.close()
    return rows / elapsed


async def direct_spawn_s(runs: int) -> list[float]:
    """Seconds to spawn the sleeper directly (fork + exec: what "Running" means in Kubernetes)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(*SLEEPER, start_new_session=True)
        samples.append(time.perf_counter() - start)
        proc.kill()
        await proc.wait()
    return samples


# -- API helpers ----------------------------------------------------------------


async def request(
    session: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> dict[str, Any]:
    data = orjson.dumps(body) if body is not None else None
    async with session.request(method, path, data=data) as resp:
        payload = await resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path} → {resp.status}: {payload[:300]!r}")
        result: dict[str, Any] = orjson.loads(payload)
        return result


async def create_namespace(session: aiohttp.ClientSession, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    await request(session, "POST", "/api/v1/namespaces", body)


def configmap(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"bench": "create"}},
        "data": {"key": "value", "n": name},
    }


@contextlib.asynccontextmanager
async def watching(
    session: aiohttp.ClientSession,
    path: str,
    on_event: Callable[[dict[str, Any], float], None],
    **params: str,
) -> AsyncIterator[None]:
    """An open watch on `path`; `on_event(event, arrival_time)` for each event line."""
    opened = asyncio.get_running_loop().create_future()

    async def read() -> None:
        async with session.get(path, params={"watch": "1", **params}, timeout=None) as resp:
            resp.raise_for_status()
            opened.set_result(None)
            async for line in resp.content:
                if line.strip():
                    on_event(orjson.loads(line), time.perf_counter())

    task = asyncio.create_task(read())
    await asyncio.wait([task, opened], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# -- measurements ---------------------------------------------------------------


@dataclass
class CreateRun:
    per_s: float
    server_cpu_s: float
    client_cpu_s: float


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def create_rate(
    session: aiohttp.ClientSession,
    namespace: str,
    *,
    count: int,
    concurrency: int,
    server: psutil.Process,
) -> CreateRun:
    """ConfigMap creates/s with `concurrency` requests in flight, and the CPU both sides spent."""
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    names = iter(range(count))

    async def client() -> None:
        for i in names:
            await request(session, "POST", path, configmap(f"cm-{i:05d}"))

    me = psutil.Process()
    server_cpu, client_cpu = cpu_seconds(server), cpu_seconds(me)
    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return CreateRun(
        count / elapsed, cpu_seconds(server) - server_cpu, cpu_seconds(me) - client_cpu
    )


async def watch_latency(
    session: aiohttp.ClientSession, namespace: str, *, writes: int
) -> tuple[list[float], list[float]]:
    """(write response → event seconds, GET round-trip seconds), one write at a time."""
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    await request(session, "POST", path, configmap("watched"))
    arrivals: dict[str, asyncio.Future[float]] = {}

    def on_event(event: dict[str, Any], at: float) -> None:
        rv = event["object"]["metadata"].get("resourceVersion", "")
        arrivals.setdefault(rv, asyncio.get_running_loop().create_future()).set_result(at)

    latencies, round_trips = [], []
    async with watching(session, path, on_event, fieldSelector="metadata.name=watched"):
        await asyncio.sleep(0.2)  # let the initial ADDED pass
        for i in range(writes):
            patch = {"data": {"i": str(i)}}
            async with session.patch(
                f"{path}/watched",
                data=orjson.dumps(patch),
                headers={"Content-Type": "application/merge-patch+json"},
            ) as resp:
                rv = orjson.loads(await resp.read())["metadata"]["resourceVersion"]
            answered = time.perf_counter()
            arrived = await asyncio.wait_for(
                arrivals.setdefault(rv, asyncio.get_running_loop().create_future()), 10
            )
            latencies.append(arrived - answered)
            start = time.perf_counter()
            await request(session, "GET", f"{path}/watched")
            round_trips.append(time.perf_counter() - start)
    return latencies, round_trips


def sleeper_pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "main", "image": "python:3.11", "command": SLEEPER}],
            "terminationGracePeriodSeconds": 0,
        },
    }


async def pod_startup(session: aiohttp.ClientSession, namespace: str, *, pods: int) -> list[float]:
    """Seconds from POST pod to the watch event showing it Running, one pod at a time."""
    path = f"/api/v1/namespaces/{namespace}/pods"
    running: dict[str, asyncio.Future[float]] = {}

    def on_event(event: dict[str, Any], at: float) -> None:
        obj = event["object"]
        if obj.get("status", {}).get("phase") == "Running":
            fut = running.get(obj["metadata"]["name"])
            if fut is not None and not fut.done():
                fut.set_result(at)

    samples = []
    async with watching(session, path, on_event):
        for i in range(pods):
            name = f"sleeper-{i:03d}"
            running[name] = asyncio.get_running_loop().create_future()
            start = time.perf_counter()
            await request(session, "POST", path, sleeper_pod(name))
            samples.append(await asyncio.wait_for(running[name], 30) - start)
    await request(session, "DELETE", f"{path}?gracePeriodSeconds=0")
    return samples


# -- reporting ------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


_MET = {True: "yes", False: "NO", None: ""}


def render(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "met", "anchor (same run)", "ratio")]
    for f in figures:
        anchor = f"{f.anchor} = {f.anchor_value:,.1f}" if f.anchor_value is not None else f.anchor
        rows.append(
            (
                f.name,
                f"{f.value:,.1f} {f.unit}",
                f.target,
                _MET[f.met],
                anchor,
                f.ratio,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- the run ----------------------------------------------------------------------


MS = 1000


def create_figures(run: CreateRun, raw: float, args: argparse.Namespace) -> list[Figure]:
    server_ms = run.server_cpu_s / args.objects * MS
    return [
        Figure(
            f"creates/s ({args.objects:,} ConfigMaps, {args.concurrency} in flight)",
            run.per_s,
            "/s",
            "≥ 1,000/s and ≥ 25 % raw",
            run.per_s >= 1000 and run.per_s >= 0.25 * raw,
            "raw SQLite commits/s (mean)",
            raw,
            f"{run.per_s / raw:.0%} of raw",
        ),
        Figure(
            "  pinnace CPU per create",
            server_ms,
            "ms",
            "",
            None,
            "bench client CPU ms",
            run.client_cpu_s / args.objects * MS,
            f"1 core ≈ {MS / server_ms:,.0f}/s",
        ),
    ]


def watch_figures(watch: list[float], gets: list[float]) -> list[Figure]:
    figures = []
    for q, target in ((50, 5.0), (99, None)):
        value, anchor = percentile(watch, q) * MS, percentile(gets, q) * MS
        figures.append(
            Figure(
                f"watch delivery p{q} ({len(watch)} writes)",
                value,
                "ms",
                f"≤ {target:g} ms" if target else "",
                None if target is None else value <= target,
                f"GET round trip p{q} ms",
                anchor,
                f"{value / anchor:.1f}x GET",
            )
        )
    return figures


def pod_figures(pods: list[float], spawns: list[float]) -> list[Figure]:
    value, anchor = percentile(pods, 50) * MS, percentile(spawns, 50) * MS
    return [
        Figure(
            f"pod create → Running p50 ({len(pods)} pods)",
            value,
            "ms",
            "≤ 150 ms",
            value <= 150,
            "direct spawn p50 ms",
            anchor,
            f"{value / anchor:.0f}x spawn",
        )
    ]


async def measure_api(platform: Platform, args: argparse.Namespace) -> list[Figure]:
    # Idle connections close before the server's 5 s keep-alive does, so a request after a
    # long raw-SQLite anchor never lands on a connection the server is closing.
    connector = aiohttp.TCPConnector(limit=args.concurrency + 4, keepalive_timeout=2)
    async with aiohttp.ClientSession(
        platform.url, headers=platform.headers, connector=connector
    ) as session:
        for ns in ("bench-create", "bench-watch", "bench-pods"):
            await create_namespace(session, ns)
        payload = orjson.dumps(configmap("cm-00000"))
        raw_before = raw_sqlite_inserts(
            platform.data_dir.parent / "raw-before.db", rows=args.objects, payload=payload
        )
        creates = await create_rate(
            session,
            "bench-create",
            count=args.objects,
            concurrency=args.concurrency,
            server=psutil.Process(platform.proc.pid),
        )
        raw_after = raw_sqlite_inserts(
            platform.data_dir.parent / "raw-after.db", rows=args.objects, payload=payload
        )
        raw = (raw_before + raw_after) / 2  # the disk is shared: bracket the creates
        watch, gets = await watch_latency(session, "bench-watch", writes=args.writes)
        pods = await pod_startup(session, "bench-pods", pods=args.pods)
    spawns = await direct_spawn_s(args.pods)
    return [
        *create_figures(creates, raw, args),
        *watch_figures(watch, gets),
        *pod_figures(pods, spawns),
    ]


def startup_figures(platform: Platform, idle_rss: int) -> list[Figure]:
    imports = "import pinnace.cli.platform"
    bare_s, bare_rss = bare_interpreter(imports)
    return [
        Figure(
            "pinnace up → /healthz 200",
            platform.ready_s,
            "s",
            "≤ 3 s",
            platform.ready_s <= 3,
            "bare import s",
            bare_s,
            f"{platform.ready_s / bare_s:.1f}x import",
        ),
        Figure(
            "idle RSS (process tree)",
            idle_rss / MB,
            "MB",
            "≤ 250 MB",
            idle_rss <= 250 * MB,
            "bare import MB",
            bare_rss / MB,
            f"{idle_rss / bare_rss:.1f}x import",
        ),
    ]


def run(args: argparse.Namespace, base: Path) -> list[Figure]:
    platform = launch(base / "data", base / "pinnace.log")
    try:
        time.sleep(args.settle)
        figures = startup_figures(platform, tree_rss(platform.proc.pid))
        figures += asyncio.run(measure_api(platform, args))
    finally:
        code = platform.stop()
    if code != 0:
        log = (base / "pinnace.log").read_text()[-3000:]
        raise RuntimeError(f"pinnace up exited {code} on SIGTERM:\n{log}")
    return figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--objects", type=int, default=2000, help="ConfigMaps to create")
    parser.add_argument("--concurrency", type=int, default=32, help="creates in flight")
    parser.add_argument("--writes", type=int, default=300, help="writes seen through a watch")
    parser.add_argument("--pods", type=int, default=30, help="pods started one at a time")
    parser.add_argument("--settle", type=float, default=2.0, help="idle seconds before RSS")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pinnace-bench-") as tmp:
        figures = run(args, Path(tmp))
    print(f"pinnace control-plane benchmark ({os.cpu_count()} CPUs, {sys.platform})")
    print(render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
