"""A fork server's child behaves as the process it stands for: through `forking` and through pods."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from pinnace.runtime import forking, processes

from .clusters import Cluster, pod_spec, status_of

VENV = Path(sys.prefix)
MODULE = "forkee"
PROGRAM = textwrap.dedent(
    """
    import json, os, sys, time
    print(json.dumps({
        "argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ), "pid": os.getpid(),
        "pgid": os.getpgid(0), "sid": os.getsid(0), "path0": sys.path[0], "main": __name__,
    }), flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "sleep":
        os.system("sleep 30 &")  # a grandchild in the same group
        time.sleep(30)
    if command == "raise":
        raise RuntimeError("boom")
    if command == "message":
        sys.exit("giving up")
    if command == "hog":
        b = bytearray(150 * 2**20); b[::4096] = b"x" * len(b[::4096]); time.sleep(30)
    sys.exit(int(command) if command.isdigit() else 0)
    """
)


@pytest.fixture
def program_dir(tmp_path: Path) -> Path:
    d = tmp_path / "programs"
    d.mkdir()
    (d / f"{MODULE}.py").write_text(PROGRAM)
    return d


@pytest.fixture
async def forks() -> AsyncIterator[forking.Forks]:
    f = forking.Forks(forking.Settings(modules=(MODULE,), preload=("json", "no_such_module")))
    yield f
    await f.stop()


def launch(tmp_path: Path, program_dir: Path, *args: str, **env: str) -> processes.Launch:
    cwd = tmp_path / "work"
    cwd.mkdir(exist_ok=True)
    return processes.Launch(
        argv=["python", "-m", MODULE, *args],
        env={"PATH": f"{VENV / 'bin'}:/usr/bin:/bin", "PYTHONPATH": str(program_dir), **env},
        cwd=cwd,
        log_path=tmp_path / "c" / "0.log",
    )


def reported(tmp_path: Path) -> dict[str, object]:
    import json

    first = (tmp_path / "c" / "0.log").read_text().splitlines()[0]
    result: dict[str, object] = json.loads(first)
    return result


async def started(forks: forking.Forks, spec: processes.Launch) -> processes.Process:
    process = await forks.spawn(spec, VENV)
    assert process is not None, "the launch should have been forked"
    return process


async def test_child_has_the_containers_env_cwd_argv_session_and_exit_code(
    tmp_path: Path, program_dir: Path, forks: forking.Forks
) -> None:
    spec = launch(tmp_path, program_dir, "3", "more", X="y", PYTHONUNBUFFERED="1")
    process = await started(forks, spec)
    assert await process.wait() == 3
    seen = reported(tmp_path)
    assert seen["argv"] == ["3", "more"]
    assert seen["cwd"] == str(spec.cwd)
    assert seen["path0"] == str(spec.cwd)
    assert seen["main"] == "__main__"
    assert seen["env"] == dict(spec.env)  # exactly: nothing of the agent's or server's env
    assert seen["pid"] == seen["pgid"] == seen["sid"] == process.pid != os.getpid()
    assert process.identity.pgid == process.pid
    assert not process.adopted
    assert "to stderr" in (tmp_path / "c" / "0.log").read_text()


@pytest.mark.parametrize(
    ("command", "code", "text"),
    [
        pytest.param("raise", 1, "RuntimeError: boom", id="uncaught-exception"),
        pytest.param("message", 1, "giving up", id="exit-with-message"),
        pytest.param("0", 0, "to stderr", id="success"),
    ],
)
async def test_exit_status_follows_cpython(
    tmp_path: Path, program_dir: Path, forks: forking.Forks, command: str, code: int, text: str
) -> None:
    process = await started(forks, launch(tmp_path, program_dir, command))
    assert await process.wait() == code
    assert text in (tmp_path / "c" / "0.log").read_text()


async def test_stop_terminates_the_whole_group(
    tmp_path: Path, program_dir: Path, forks: forking.Forks
) -> None:
    process = await started(forks, launch(tmp_path, program_dir, "sleep"))
    members: list[psutil.Process] = []
    for _ in range(250):
        members = processes.group_members(process.identity)
        if len(members) >= 2:  # the child and the `sleep` its shell left behind
            break
        await asyncio.sleep(0.02)
    assert len(members) >= 2
    assert await process.stop(grace=2) == 128 + signal.SIGTERM
    await asyncio.sleep(0)  # the group's SIGKILL went out with the stop
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in members)


async def test_kill_reports_137(tmp_path: Path, program_dir: Path, forks: forking.Forks) -> None:
    process = await started(forks, launch(tmp_path, program_dir, "sleep"))
    process.signal_group(signal.SIGKILL)
    assert await process.wait() == 137


async def test_a_missing_working_dir_is_a_start_error(
    tmp_path: Path, program_dir: Path, forks: forking.Forks
) -> None:
    spec = launch(tmp_path, program_dir)
    spec = processes.Launch(spec.argv, spec.env, tmp_path / "nowhere", spec.log_path)
    with pytest.raises(processes.StartError, match="nowhere"):
        await forks.spawn(spec, VENV)


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        pytest.param(["python", "-m", "json.tool"], {}, id="module-not-warm"),
        pytest.param(["python", "-c", "pass"], {}, id="not-a-module"),
        pytest.param(["sh", "-c", "true"], {}, id="not-python"),
        pytest.param(["python", "-m", MODULE], {"PATH": "/usr/bin:/bin"}, id="another-python"),
        pytest.param(["python", "-m", MODULE], {"PYTHONHASHSEED": "1"}, id="interpreter-option"),
    ],
)
async def test_anything_else_is_spawned_as_usual(
    tmp_path: Path, forks: forking.Forks, argv: list[str], env: dict[str, str]
) -> None:
    spec = processes.Launch(
        argv, {"PATH": f"{VENV / 'bin'}:/usr/bin:/bin", **env}, tmp_path, tmp_path / "0.log"
    )
    assert await forks.spawn(spec, VENV) is None


async def test_children_of_a_dead_agent_it_never_recorded_are_killed(
    tmp_path: Path, program_dir: Path
) -> None:
    server = forking.Server(VENV, forking.Settings(modules=(MODULE,)))
    await server.start()
    recorded = await server.spawn(launch(tmp_path, program_dir, "sleep"))
    server.acknowledge(recorded)
    unrecorded = await server.spawn(launch(tmp_path / "c", program_dir, "sleep"))
    await server.stop()  # the agent's end of the socket closes, as when the agent dies
    assert processes.is_ours(recorded.identity)
    for _ in range(200):
        if not processes.is_ours(unrecorded.identity):
            break
        await asyncio.sleep(0.02)
    assert not processes.is_ours(unrecorded.identity)
    processes.kill_leftovers(recorded.identity)


# -- through the node agent: a pod whose container is a warm entry point ------------------


def warm(name: str, *args: str, program_dir: Path, **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "image": "python:3.11",
        "command": ["python", "-m", MODULE, *args],
        "env": [{"name": "PYTHONPATH", "value": str(program_dir)}],
        **extra,
    }


async def test_a_warm_pod_has_its_ip_exit_code_and_log(cluster: Cluster, program_dir: Path) -> None:
    node = await cluster.start(warm=forking.Settings(modules=(MODULE,)))
    await cluster.create(
        pod_spec("warm", warm("main", "4", program_dir=program_dir), restartPolicy="Never")
    )
    pod = await cluster.wait_phase("warm", "Failed")
    terminated = status_of(pod)["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (4, "Error")
    worker = node.agent.find("default", "warm")
    assert worker is not None
    runner = worker.runner("main")
    assert runner is not None
    import json

    seen = json.loads(runner.log_path().read_text().splitlines()[0])
    assert seen["env"]["POD_IP"] == pod["status"]["podIP"]
    assert seen["env"]["PINNACE_POD_DIR"]
    assert seen["cwd"] == str(runner._cwd)
    assert node.services.forks is not None
    assert node.services.forks.forked == 1  # it was a fork server's child, not a spawn


async def test_a_warm_pod_is_oom_killed_over_its_memory_limit(
    cluster: Cluster, program_dir: Path
) -> None:
    await cluster.start(warm=forking.Settings(modules=(MODULE,)))
    hog = warm("main", "hog", program_dir=program_dir, resources={"limits": {"memory": "100Mi"}})
    await cluster.create(pod_spec("hog", hog, restartPolicy="Never"))
    pod = await cluster.wait_phase("hog", "Failed", timeout=15)
    terminated = status_of(pod)["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (137, "OOMKilled")
    assert cluster.node is not None and cluster.node.services.forks is not None
    assert cluster.node.services.forks.forked == 1
