from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from pinnace.runtime import limiting, processes


def launch(tmp_path: Path, code: str) -> processes.Launch:
    return processes.Launch([sys.executable, "-c", code], {}, tmp_path, tmp_path / "0.log")


async def test_tree_over_limit_is_killed(tmp_path: Path) -> None:
    # The memory is held by a grandchild: the limit applies to the whole tree.
    code = (
        "import subprocess,sys,time\n"
        "subprocess.Popen([sys.executable, '-c', "
        '\'import time; b = bytearray(80 * 2**20); b[::4096] = b"x" * len(b[::4096]); '
        "time.sleep(30)'])\n"
        "time.sleep(30)\n"
    )
    proc = processes.spawn(launch(tmp_path, code))
    oom: list[bool] = []
    watch = limiting.MemoryWatch(interval=0.05)
    entry = watch.watch(proc, 64 * 2**20, lambda: oom.append(True))
    assert await asyncio.wait_for(proc.wait(), 10) == 137
    assert oom == [True]
    for _ in range(50):
        if not entry.survivors():
            break
        await asyncio.sleep(0.02)
    assert entry.survivors() == []
    await watch.close()


async def test_under_limit_runs_to_completion(tmp_path: Path) -> None:
    proc = processes.spawn(launch(tmp_path, "import time; time.sleep(0.4)"))
    oom: list[bool] = []
    watch = limiting.MemoryWatch(interval=0.05)
    watch.watch(proc, 512 * 2**20, lambda: oom.append(True))
    assert await proc.wait() == 0
    assert oom == []
    await watch.close()
