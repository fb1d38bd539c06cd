from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from pinnace.runtime import processes

PY = sys.executable


def launch(tmp_path: Path, code: str, **env: str) -> processes.Launch:
    return processes.Launch(
        argv=[PY, "-c", code],
        env={"PATH": os.environ["PATH"], **env},
        cwd=tmp_path,
        log_path=tmp_path / "c" / "0.log",
    )


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def complete_text(path: Path) -> str | None:
    text = path.read_text() if path.exists() else ""
    return text if text.endswith("\n") else None


async def wait_for_line(path: Path, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = complete_text(path)
        if text is not None:
            return text
        await asyncio.sleep(0.02)
    raise AssertionError(f"no output in {path}")


async def test_exit_code_and_log(tmp_path: Path) -> None:
    proc = processes.spawn(
        launch(
            tmp_path,
            "import os,sys; print('out', os.getcwd(), os.environ['X']); "
            "print('err', file=sys.stderr); sys.exit(3)",
            X="y",
        )
    )
    assert await proc.wait() == 3
    text = (tmp_path / "c" / "0.log").read_text()
    assert f"out {tmp_path} y" in text
    assert "err" in text
    assert proc.identity.pgid == proc.pid
    assert not proc.adopted


async def test_signal_exit_code_is_128_plus_signal(tmp_path: Path) -> None:
    proc = processes.spawn(launch(tmp_path, "import time; time.sleep(30)"))
    proc.signal_group(signal.SIGKILL)
    assert await proc.wait() == 137


async def test_graceful_stop_lets_sigterm_handler_run(tmp_path: Path) -> None:
    code = (
        "import signal,sys,time\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('bye', flush=True), sys.exit(0)))\n"
        "print('up', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = processes.spawn(launch(tmp_path, code))
    await wait_for_line(tmp_path / "c" / "0.log")
    assert await proc.stop(grace=5) == 0
    assert "bye" in (tmp_path / "c" / "0.log").read_text()


async def test_stop_kills_after_grace_and_leaves_no_orphans(tmp_path: Path) -> None:
    code = (
        "import signal,subprocess,time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = processes.spawn(launch(tmp_path, code))
    grandchild = int((await wait_for_line(tmp_path / "c" / "0.log")).split()[0])
    started = time.monotonic()
    assert await proc.stop(grace=0.3) == 137
    assert 0.3 <= time.monotonic() - started < 3
    for _ in range(100):  # the SIGKILLed grandchild's exit shows a moment later
        if gone(proc.pid) and gone(grandchild):
            break
        await asyncio.sleep(0.02)
    assert gone(proc.pid)
    assert gone(grandchild)


async def test_start_error(tmp_path: Path) -> None:
    bad = processes.Launch(["/nonexistent/binary"], {}, tmp_path, tmp_path / "0.log")
    with pytest.raises(processes.StartError, match="No such file"):
        processes.spawn(bad)


async def test_spawn_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    proc = processes.spawn(processes.Launch(["true"], {}, tmp_path, tmp_path / "0.log"))
    elapsed = time.perf_counter() - started
    assert await proc.wait() == 0
    assert elapsed < 0.05


async def test_adopt_sees_exit_without_code(tmp_path: Path) -> None:
    proc = processes.spawn(launch(tmp_path, "import time; time.sleep(30)"))
    adopted = processes.adopt(proc.identity)
    assert adopted is not None
    assert adopted.adopted
    adopted.signal_group(signal.SIGTERM)
    assert await proc.wait() == 128 + signal.SIGTERM
    assert await adopted.wait() is None


async def test_adopt_refuses_a_reused_pid(tmp_path: Path) -> None:
    proc = processes.spawn(launch(tmp_path, "import time; time.sleep(30)"))
    stranger = processes.Identity(proc.pid, proc.pid, proc.identity.create_time - 100)
    assert processes.adopt(stranger) is None
    assert processes.kill_leftovers(stranger) == 0
    assert not gone(proc.pid)
    await proc.stop(grace=0)


async def test_kill_leftovers_kills_the_whole_group(tmp_path: Path) -> None:
    code = "import subprocess,time; subprocess.Popen(['sleep','60']); time.sleep(60)"
    proc = processes.spawn(launch(tmp_path, code))
    for _ in range(200):  # until the child has started its grandchild (slow on a busy machine)
        if len(processes.group_members(proc.identity)) == 2:
            break
        await asyncio.sleep(0.05)
    assert processes.kill_leftovers(proc.identity) == 2
    assert await proc.wait() == 137
    for _ in range(100):  # SIGKILL is delivered at once, the grandchild's exit shows a bit later
        if not processes.group_members(proc.identity):
            break
        await asyncio.sleep(0.02)
    assert processes.group_members(proc.identity) == []
    assert processes.adopt(proc.identity) is None
