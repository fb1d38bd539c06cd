"""`kill -9` of `pinnace up` in the middle of a pipeline run, then a restart on the same data dir.

The run completes SUCCEEDED and no task ever runs twice at once. The evidence
is the tasks' own: each holds an exclusive lock on one file for as long as it
runs (the tasks are sequential, so a second holder can only be a task
process of the killed platform that is still alive) and appends start/end
lines to a log. The task interrupted by the kill is run again in the same
pod (deterministic names: no pod is added, none renamed), after the agent of
the new platform killed what was left of the first run. `pinnace run`
follows the run across the restart and exits 0.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations at runtime.

import signal
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import PINNACE, Platform, wait_for

PIPELINE = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def step(index: int, evidence: str, lock: str, seconds: float) -> int:
    import fcntl
    import os
    import time

    def note(what: str) -> None:
        with open(evidence, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(f"{what} {index} {os.getpid()}\\n")

    held = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        note("overlap")
        raise SystemExit(3)
    note("start")
    time.sleep(seconds)
    note("end")
    return index + 1


@dsl.pipeline
def steps(evidence: str, lock: str, slow: float = 20.0) -> int:
    first = step(index=0, evidence=evidence, lock=lock, seconds=0.5)
    second = step(index=first.output, evidence=evidence, lock=lock, seconds=slow)
    third = step(index=second.output, evidence=evidence, lock=lock, seconds=0.5)
    return step(index=third.output, evidence=evidence, lock=lock, seconds=0.5).output
"""


def lines(path: Path) -> list[tuple[str, int, int]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        what, index, pid = line.split()
        out.append((what, int(index), int(pid)))
    return out


def pods(platform: Platform, namespace: str) -> dict[str, dict[str, Any]]:
    items = platform.kubectl_yaml("get", "pods", "-n", namespace)["items"]
    return {p["metadata"]["name"]: p for p in items}


@pytest.mark.parametrize(
    "start",
    [
        pytest.param("--no-warm-start", id="spawned-tasks"),
        pytest.param(
            "--warm-start",
            id="warm-tasks",
            # Why xfail and not a fix: the warm path's recovery after kill -9 is an open bug
            # (issue 6; not diagnosed: runtime/containers.py `_recover` of a forked child, or
            # the new agent's first spawn through a new fork server). Strict, so the day it is
            # fixed this marker fails and must go; the spawned-tasks case above must pass.
            marks=pytest.mark.xfail(
                strict=True,
                reason="known bug: a task forked by the warm fork server and interrupted by kill -9"
                " of the platform ends FAILED (exit 1, container never restarted) after the"
                " restart instead of running again in its pod",
            ),
        ),
    ],
)
def test_kill_dash_nine_mid_run_then_restart_completes_and_runs_no_task_twice_at_once(
    tmp_path: Path, start: str
) -> None:
    data = tmp_path / "data"
    evidence, lock = tmp_path / "evidence.log", tmp_path / "task.lock"
    source = tmp_path / "steps.py"
    source.write_text(textwrap.dedent(PIPELINE))
    first = Platform.launch(data, timeout=60, args=(start,))
    follower: subprocess.Popen[str] | None = None
    second: Platform | None = None
    try:
        first.kubectl("create", "namespace", "runs")
        follower = subprocess.Popen(
            [
                *PINNACE,
                "run",
                str(source),
                "-n",
                "runs",
                "--name",
                "steps",
                "-p",
                f"evidence={evidence}",
                "-p",
                f"lock={lock}",
                "--data-dir",
                str(data),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=first.env(),
        )
        wait_for(
            lambda: ("start", 1) in [(w, i) for w, i, _ in lines(evidence)],
            timeout=90,
            what="the second task to start",
        )
        before = pods(first, "runs")
        (interrupted_pid,) = [p for w, i, p in lines(evidence) if (w, i) == ("start", 1)]
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
    try:
        second = Platform.launch(data, first.port, timeout=60, args=(start,))

        def finished() -> dict[str, Any] | None:
            run = second.kubectl_yaml("get", "pipelinerun", "steps", "-n", "runs")
            status: dict[str, Any] = run.get("status") or {}
            return status if status.get("state") in ("SUCCEEDED", "FAILED") else None

        status = wait_for(finished, timeout=120, what="the run to finish after the restart")
        assert status["state"] == "SUCCEEDED", status.get("error")
        assert status["outputs"]["parameters"] == {"Output": 4}

        seen = lines(evidence)
        assert [w for w, _, _ in seen if w == "overlap"] == [], seen
        ends = [i for w, i, _ in seen if w == "end"]
        assert ends == [0, 1, 2, 3], seen
        reruns = [p for w, i, p in seen if (w, i) == ("start", 1)]
        assert reruns[0] == interrupted_pid and len(reruns) == 2, seen
        assert ("end", 1, interrupted_pid) not in seen, "the interrupted run was killed"

        after = pods(second, "runs")
        assert set(before) <= set(after), "pods keep their names across the restart"
        tasks = {t["name"]: t for t in status["tasks"]}
        assert sorted(after) == sorted(t["podName"] for t in tasks.values())
        assert len(after) == 4 and all(t["attempts"] == 1 for t in tasks.values())
        rerun = after[tasks["step-2"]["podName"]]
        (container,) = rerun["status"]["containerStatuses"]
        assert container["restartCount"] == 1
        assert container["lastState"]["terminated"]["reason"] == "ContainerStatusUnknown"

        assert follower is not None
        out, err = follower.communicate(timeout=60)
        assert follower.returncode == 0, out + err
        assert "pipelinerun runs/steps SUCCEEDED in " in out
        assert "the platform does not answer" in err
    finally:
        if follower is not None and follower.poll() is None:
            follower.kill()
        if follower is not None:
            follower.communicate(timeout=30)  # reaps it and closes its pipes
        if second is not None:
            assert second.stop() == 0
