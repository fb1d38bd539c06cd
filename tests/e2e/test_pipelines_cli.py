"""`pinnace run` against a real `pinnace up`: a user's pipeline file, compiled, run, followed.

The command runs as a user runs it (a subprocess, no TTY, so the view is plain
lines), against the platform through the data dir's kubeconfig; what it prints
and its exit code are checked, and kubectl shows the runs it made.
"""

from __future__ import annotations

import signal
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from tests.e2e.conftest import PINNACE, Platform, wait_for

PIPELINES = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image="python:3.11")
def shout(msg: str, times: int) -> str:
    return (msg + "!") * times


@dsl.component(base_image="python:3.11")
def explode(reason: str) -> None:
    print("about to fail")
    raise SystemExit(f"giving up: {reason}")


@dsl.component(base_image="python:3.11")
def nap(seconds: int) -> None:
    import time

    time.sleep(seconds)


@dsl.pipeline
def demo(a: int = 1, b: int = 2, msg: str = "hi") -> str:
    total = add(a=a, b=b)
    with dsl.ParallelFor([10, 20]) as i:
        add(a=i, b=total.output)
    return shout(msg=msg, times=total.output).output


@dsl.pipeline
def failing(reason: str = "on purpose") -> None:
    first = add(a=1, b=1)
    explode(reason=reason).after(first)


@dsl.pipeline
def needs(x: int) -> int:
    return add(a=x, b=1).output


@dsl.pipeline
def sleepy() -> None:
    nap(seconds=120)
"""


def pipelines(tmp_path: Path) -> Path:
    path = tmp_path / "flows.py"
    path.write_text(textwrap.dedent(PIPELINES))
    return path


def pinnace_run(
    platform: Platform, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PINNACE, "run", *args, "--data-dir", str(platform.data_dir)],
        capture_output=True,
        text=True,
        env=platform.env(),
        timeout=timeout,
    )


def runs(platform: Platform, namespace: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = platform.kubectl_yaml("get", "pipelineruns", "-n", namespace)[
        "items"
    ]
    return items


def test_a_py_pipeline_runs_shows_its_dag_and_exits_0_with_typed_parameters(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    path = pipelines(tmp_path)
    done = pinnace_run(
        platform, str(path), "--pipeline", "demo", "-n", namespace, "-p", "a=3", "-p", "msg=42"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    assert out[0].startswith(f"pipelinerun {namespace}/demo-") and out[0].endswith(" created")
    assert "task add  RUNNING" in out, out
    assert any(line.startswith("task for-loop-2/1/add-2  SUCCEEDED") for line in out), out
    summary = out.index(next(line for line in out if " SUCCEEDED in " in line))
    dag = [line.split("  (")[0] for line in out[summary + 1 : summary + 8]]
    assert dag == [
        "  add  SUCCEEDED",
        "  for-loop-2  SUCCEEDED",
        "    for-loop-2[0]  SUCCEEDED",
        "      add-2  SUCCEEDED",
        "    for-loop-2[1]  SUCCEEDED",
        "      add-2  SUCCEEDED",
        "  shout  SUCCEEDED",
    ]
    assert out[-2:] == ["outputs:", "  Output = '42!42!42!42!42!'"], "msg stays a string"
    (run,) = runs(platform, namespace)
    assert run["spec"]["runtimeConfig"]["parameters"] == {"a": 3, "msg": "42"}
    assert run["status"]["state"] == "SUCCEEDED"


def test_a_failing_pipeline_exits_1_with_the_task_exit_code_and_log_tail(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    done = pinnace_run(platform, str(pipelines(tmp_path)), "--pipeline", "failing", "-n", namespace)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "  explode  FAILED  (exit 1" in out, out
    assert "task explode failed with exit code 1:" in out
    assert "  | about to fail" in out and "  | giving up: on purpose" in out, out


def test_no_cache_runs_every_task_again(platform: Platform, namespace: str, tmp_path: Path) -> None:
    path = pipelines(tmp_path)
    args = (str(path), "--pipeline", "needs", "-n", namespace, "-p", "x=41")
    first = pinnace_run(platform, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    cached = pinnace_run(platform, *args)
    assert cached.returncode == 0 and "  add  SUCCEEDED  (cached)" in cached.stdout, cached.stdout
    fresh = pinnace_run(platform, *args, "--no-cache", "--name", "fresh")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "(cached)" not in fresh.stdout and "  Output = 42" in fresh.stdout, fresh.stdout
    run = platform.kubectl_yaml("get", "pipelinerun", "fresh", "-n", namespace)
    assert run["spec"]["enableCaching"] is False
    assert [t.get("cached", False) for t in run["status"]["tasks"]] == [False]


def test_bad_input_exits_2_naming_what_is_wrong_and_creates_nothing(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    path = str(pipelines(tmp_path))
    typed = pinnace_run(platform, path, "--pipeline", "needs", "-n", namespace, "-p", "x=many")
    assert typed.returncode == 2
    assert "-p x (NUMBER_INTEGER): expected an integer, got 'many'" in typed.stderr
    missing = pinnace_run(platform, path, "--pipeline", "needs", "-n", namespace)
    assert missing.returncode == 2
    assert "is invalid:" in missing.stderr, missing.stderr  # the API server's 422
    assert (
        "spec.runtimeConfig.parameters['x']: required pipeline input (NUMBER_INTEGER) is missing"
    ) in missing.stderr
    several = pinnace_run(platform, path, "-n", namespace)
    assert several.returncode == 2
    assert "several pipelines (demo, failing, needs, sleepy)" in several.stderr
    gone = pinnace_run(platform, str(tmp_path / "nope.py"), "-n", namespace)
    assert gone.returncode == 2 and "no such file" in gone.stderr
    assert runs(platform, namespace) == []


def test_detach_and_ctrl_c_leave_the_run_going_and_say_how_to_follow_it(
    platform: Platform, namespace: str, tmp_path: Path
) -> None:
    path = str(pipelines(tmp_path))
    detached = pinnace_run(platform, path, "--pipeline", "sleepy", "-n", namespace, "--detach")
    assert detached.returncode == 0, detached.stderr
    assert "kubectl get pipelinerun sleepy-" in detached.stdout
    assert '--type=merge -p \'{"spec":{"cancel":true}}\'' in detached.stdout
    proc = subprocess.Popen(
        [
            *PINNACE,
            "run",
            path,
            "--pipeline",
            "sleepy",
            "-n",
            namespace,
            "--name",
            "attached",
            "--data-dir",
            str(platform.data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=platform.env(),
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("task nap  RUNNING"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (seen, err)
    assert f"detached; pipelinerun {namespace}/attached keeps running" in err
    assert f"kubectl patch pipelinerun attached -n {namespace}" in err
    state = wait_for(
        lambda: (
            platform.kubectl_yaml("get", "pipelinerun", "attached", "-n", namespace).get("status")
            or {}
        ).get("state"),
        what="the run's state",
    )
    assert state == "RUNNING"
    for name in ("attached", *(r["metadata"]["name"] for r in runs(platform, namespace))):
        platform.kubectl(
            "patch",
            "pipelinerun",
            name,
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"spec":{"cancel":true}}',
        )
