"""Pipelines benchmark: `make bench` (`.venv/bin/python bench/pipelines.py`).

The same kfp-compiled pipelines, in one run, through kfp's own local runner
(`kfp.local.SubprocessRunner(use_venv=False)`, the issue's anchor) and through
pinnace (a real `pinnace up` on a free port and a temporary data dir, runs
POSTed as PipelineRuns through the API with caching off, completion seen on a
watch). Prints figures; asserts nothing about time (shared, noisy machines:
compare ratios measured in the same run).

| pipeline | tasks | what |
|---|---|---|
| chain10 | 10 | ten chained no-op `add_one` lightweight components |
| fanout20 | 21 | `ParallelFor` over 20 items, then a gather over `dsl.Collected` |
| chain10_nopip | 10 | chain10 with `install_kfp_package=False` (kfp.local only: its pip line gone) |
| fanout1000 | 1001 | `ParallelFor` over 1,000 items + gather (pinnace only), with the platform's peak RSS |

kfp.local runs in a child process (`python bench/pipelines.py --kfp-local NAME ROOT`)
in a temporary pipeline root; its figure is the pipeline call alone (imports and
`local.init` excluded, which favours kfp.local). Its pip line must never touch our
venv (kfp.md quirk b: use_venv=False runs `pip install kfp==<compile version>` in the
orchestrator's environment). What we chose: the pipelines are compiled by the
installed kfp, so the pin is the installed version and pip finds it satisfied (the
same no-op pip process kfp.local users pay for), and the child runs with
`PIP_NO_INDEX=1`, so pip can never fetch anything; the installed kfp version is
checked before and after.

Per-task overhead: wall time / tasks on the chains (one task at a time, each a no-op,
so the whole time is overhead). pinnace runs at most `max_parallel` task pods of a run
at once (the machine's cores); kfp.local runs ParallelFor iterations at most 2 at once
and, with the pip line, one at a time.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psutil
import yaml
from kfp import compiler, dsl

PINNACE = [sys.executable, "-m", "pinnace.cli.main"]
NAMESPACE = "bench"
RUNS = "/apis/pipelines.kubeflow.org/v1alpha1/namespaces/bench/pipelineruns"
MB = 1024 * 1024
BASE = "python:3.11"


# -- the pipelines ------------------------------------------------------------------


@dsl.component(base_image=BASE)
def add_one(x: int) -> int:
    return x + 1


@dsl.component(base_image=BASE, install_kfp_package=False)
def add_one_nopip(x: int) -> int:
    return x + 1


@dsl.component(base_image=BASE)
def square(x: int) -> int:
    return x * x


@dsl.component(base_image=BASE)
def total(xs: list[int]) -> int:
    return int(sum(int(x) for x in xs))  # kfp.local hands Collected ints over as floats


@dsl.pipeline(name="chain10")
def chain10(x: int = 0) -> int:
    task = add_one(x=x)
    for _ in range(9):
        task = add_one(x=task.output)
    return task.output


@dsl.pipeline(name="chain10-nopip")
def chain10_nopip(x: int = 0) -> int:
    task = add_one_nopip(x=x)
    for _ in range(9):
        task = add_one_nopip(x=task.output)
    return task.output


def fanout(width: int) -> Any:
    @dsl.pipeline(name=f"fanout{width}")
    def pipeline() -> int:
        with dsl.ParallelFor(items=list(range(width))) as item:
            squared = square(x=item)
        return total(xs=dsl.Collected(squared.output)).output

    return pipeline


PIPELINES: dict[str, tuple[Callable[[], Any], int, int]] = {
    # name: (pipeline factory, tasks, expected output)
    "chain10": (lambda: chain10, 10, 10),
    "chain10_nopip": (lambda: chain10_nopip, 10, 10),
    "fanout20": (lambda: fanout(20), 21, sum(i * i for i in range(20))),
    "fanout1000": (lambda: fanout(1000), 1001, sum(i * i for i in range(1000))),
}


def compiled(name: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.yaml"
        compiler.Compiler().compile(PIPELINES[name][0](), str(path))
        ir: dict[str, Any] = yaml.safe_load(path.read_text())
        return ir


# -- kfp.local (in a child process) ------------------------------------------------


def kfp_local_child(name: str, root: str) -> None:
    """The child's side: run one pipeline under kfp.local, print its time and output."""
    from kfp import local

    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=root,
        raise_on_error=True,
    )
    pipeline = PIPELINES[name][0]()
    start = time.perf_counter()
    task = pipeline()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "output": task.output}))


def kfp_local(name: str) -> tuple[float, float, Any]:
    """(pipeline call seconds, whole child process seconds, output) under kfp.local."""
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory(prefix="kfp-local-") as root:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--kfp-local", name, root],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
        )
        whole = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"kfp.local {name} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), whole, result["output"]


# -- pinnace ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Platform:
    """A real `pinnace up` on a free port and a temporary data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / "pinnace.log"
        cmd = [*PINNACE, "up", "--port", str(self.port), "--data-dir", str(data_dir)]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pinnace up exited:\n{self.log.read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r,
            ):
                if r.status == 200:
                    return
            time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"pinnace up not ready:\n{self.log.read_text()[-3000:]}")

    @property
    def headers(self) -> dict[str, str]:
        token = (self.data_dir / "token").read_text().strip()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class MemorySampler:
    """Peak RSS of the platform's process and of its whole tree (task processes included)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_main = 0
        self.peak_tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[int, int]:
        main = self.root.memory_info().rss
        tree = main
        for child in self.root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                tree += child.memory_info().rss
        return main, tree

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                main, tree = self.sample()
                self.peak_main = max(self.peak_main, main)
                self.peak_tree = max(self.peak_tree, tree)
            self._stop.wait(self.interval)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def pinnace_run(
    session: aiohttp.ClientSession, name: str, ir: dict[str, Any], run: str
) -> tuple[float, dict[str, Any]]:
    """Seconds from POST to the watch event showing the run finished, and its status."""
    body = {
        "apiVersion": "pipelines.kubeflow.org/v1alpha1",
        "kind": "PipelineRun",
        "metadata": {"name": run},
        "spec": {"pipelineSpec": ir, "runtimeConfig": {"parameters": {}}, "enableCaching": False},
    }
    params = {"watch": "1", "fieldSelector": f"metadata.name={run}"}
    async with session.get(RUNS, params=params, timeout=aiohttp.ClientTimeout()) as watch:
        watch.raise_for_status()
        start = time.perf_counter()
        async with session.post(RUNS, data=orjson.dumps(body)) as resp:
            if resp.status >= 300:
                raise RuntimeError(f"POST {run}: {resp.status} {await resp.text()}")
        pending = b""
        async for chunk in watch.content.iter_any():  # a 1,000-task run's events exceed 512 KiB
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                status = orjson.loads(line)["object"].get("status") or {}
                if status.get("state") in ("SUCCEEDED", "FAILED", "CANCELED"):
                    return time.perf_counter() - start, status
    raise RuntimeError(f"the watch on {run} ended before the run did")


async def pinnace_figures(
    platform: Platform, names: list[str], repeat: int, big: int
) -> dict[str, Any]:
    irs = {name: compiled(name) for name in names}
    out: dict[str, Any] = {}
    async with aiohttp.ClientSession(platform.url, headers=platform.headers) as session:
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        async with session.post("/api/v1/namespaces", data=orjson.dumps(ns)) as resp:
            resp.raise_for_status()
        for name in names:
            samples = []
            for i in range(repeat):
                seconds, status = await pinnace_run(
                    session, name, irs[name], f"{name.replace('_', '-')}-{i}"
                )
                check(name, "pinnace", status["state"] == "SUCCEEDED", status.get("error"))
                check(
                    name,
                    "pinnace",
                    status["outputs"]["parameters"]["Output"] == PIPELINES[name][2],
                    status["outputs"],
                )
                samples.append(seconds)
            out[name] = samples
            median = statistics.median(samples)
            tasks = PIPELINES[name][1]
            print(
                f"pinnace {name}: {median:.3f} s ({1000 * median / tasks:.0f} ms/task)", flush=True
            )
        if big:
            sampler = MemorySampler(platform.proc.pid)
            idle_main, idle_tree = sampler.sample()
            ir = compiled("fanout1000") if big == 1000 else None
            if ir is None:
                PIPELINES[f"fanout{big}"] = (
                    lambda: fanout(big),
                    big + 1,
                    sum(i * i for i in range(big)),
                )
                ir = compiled(f"fanout{big}")
            with sampler:
                seconds, status = await pinnace_run(session, f"fanout{big}", ir, f"fanout{big}")
            check(f"fanout{big}", "pinnace", status["state"] == "SUCCEEDED", status.get("error"))
            out["big"] = {
                "tasks": big + 1,
                "seconds": seconds,
                "idle_main": idle_main,
                "peak_main": sampler.peak_main,
                "idle_tree": idle_tree,
                "peak_tree": sampler.peak_tree,
            }
    return out


def check(name: str, who: str, ok: bool, detail: Any) -> None:
    if not ok:
        raise RuntimeError(f"{who} {name} did not produce the expected result: {detail}")


# -- report -------------------------------------------------------------------------


def render(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kfp-local", nargs=2, metavar=("NAME", "ROOT"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="pinnace runs per pipeline")
    parser.add_argument("--big", type=int, default=1000, help="fan-out width of the memory run")
    parser.add_argument("--skip-kfp-local", action="store_true", help="pinnace figures only")
    args = parser.parse_args(argv)
    if args.kfp_local:
        kfp_local_child(*args.kfp_local)
        return 0

    kfp_before = importlib.metadata.version("kfp")
    local: dict[str, tuple[float, float]] = {}
    if not args.skip_kfp_local:
        for name in ("chain10", "fanout20", "chain10_nopip"):
            seconds, whole, output = kfp_local(name)
            check(name, "kfp.local", int(output) == PIPELINES[name][2], output)
            local[name] = (seconds, whole)
            print(f"kfp.local {name}: {seconds:.2f} s (process {whole:.2f} s)", flush=True)
    kfp_after = importlib.metadata.version("kfp")
    if kfp_after != kfp_before:
        raise RuntimeError(f"kfp.local changed our kfp: {kfp_before} → {kfp_after}")

    with tempfile.TemporaryDirectory(prefix="pinnace-bench-") as tmp:
        platform = Platform(Path(tmp) / "data")
        try:
            figures = asyncio.run(
                pinnace_figures(platform, ["chain10", "fanout20"], args.repeat, args.big)
            )
        finally:
            platform.stop()

    rows = [
        (
            "pipeline",
            "tasks",
            "kfp.local s",
            "pinnace s (median)",
            "ratio",
            "pinnace ms/task",
            "target",
        )
    ]
    for name, target in (("chain10", "≥10x"), ("fanout20", "≥10x")):
        tasks = PIPELINES[name][1]
        ours = statistics.median(figures[name])
        theirs = local.get(name, (float("nan"), 0.0))[0]
        rows.append(
            (
                name,
                str(tasks),
                f"{theirs:.2f}",
                f"{ours:.3f} [{min(figures[name]):.3f}-{max(figures[name]):.3f}]",
                f"{theirs / ours:.1f}x",
                f"{1000 * ours / tasks:.0f}",
                target,
            )
        )
    if "chain10_nopip" in local:
        theirs = local["chain10_nopip"][0]
        ours = statistics.median(figures["chain10"])
        rows.append(
            (
                "chain10 vs kfp.local without pip",
                "10",
                f"{theirs:.2f}",
                f"{ours:.3f}",
                f"{theirs / ours:.1f}x",
                f"{1000 * ours / 10:.0f}",
                "≥2x, ≤50 ms/task (moonshot 20)",
            )
        )
    print()
    print(render(rows))
    big = figures.get("big")
    if big:
        grown = (big["peak_main"] - big["idle_main"]) / MB
        print()
        print(
            f"fan-out {big['tasks']} tasks on pinnace: {big['seconds']:.1f} s "
            f"({1000 * big['seconds'] / big['tasks']:.0f} ms/task); platform process RSS "
            f"{big['idle_main'] / MB:.0f} MB idle → {big['peak_main'] / MB:.0f} MB peak "
            f"(+{grown:.0f} MB, {grown / big['tasks']:.3f} MB/task); whole tree peak "
            f"{big['peak_tree'] / MB:.0f} MB (task processes included)"
        )
    print(
        f"\nkfp {kfp_after} unchanged by kfp.local; pinnace at most {os.cpu_count()} task pods at once"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
