"""Memory limits without cgroups: watch the RSS of each limited container's process tree.

One `MemoryWatch` per node agent samples, every `interval` seconds, the
resident memory of every process descending from a watched container's main
process (plus descendants seen earlier that have since been re-parented, e.g.
daemonised children). When the sum exceeds the container's
`resources.limits.memory`, the watch kills the group with SIGKILL and calls
the container's `on_oom`, which `containers` turns into reason OOMKilled and
exit code 137. Shared pages are counted once per process, so the sum errs
high. The tree it has seen is also what `containers` kills when the main
process exits (`survivors`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from pinnace.runtime import processes

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Watched:
    """One container under watch."""

    process: processes.Process
    limit: int
    on_oom: Callable[[], None]
    seen: dict[int, psutil.Process] = field(default_factory=dict)
    killed: bool = False

    def survivors(self) -> list[psutil.Process]:
        """Processes of the tree seen so far that still run."""
        alive = []
        for proc in self.seen.values():
            with contextlib.suppress(psutil.Error):
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
        return alive


class MemoryWatch:
    """Samples process trees and enforces memory limits."""

    def __init__(self, *, interval: float = 0.5) -> None:
        self.interval = interval
        self._watched: set[Watched] = set()
        self._task: asyncio.Task[None] | None = None

    def watch(self, process: processes.Process, limit: int, on_oom: Callable[[], None]) -> Watched:
        entry = Watched(process, limit, on_oom)
        with contextlib.suppress(psutil.Error):
            entry.seen[process.pid] = psutil.Process(process.pid)
        self._watched.add(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="memory-watch")
        return entry

    def unwatch(self, entry: Watched) -> None:
        self._watched.discard(entry)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self._watched:
            try:
                self.sample()
            except Exception:
                log.exception("memory sampling failed")
            await asyncio.sleep(self.interval)

    def sample(self) -> None:
        """One pass over every watched tree (also callable directly from tests)."""
        children: dict[int, list[int]] = {}
        for proc in psutil.process_iter(["ppid"]):
            children.setdefault(proc.info["ppid"] or 0, []).append(proc.pid)
        for entry in list(self._watched):
            if entry.killed or entry.process.done():
                continue
            self._refresh_tree(entry, children)
            rss = 0
            for pid, proc in list(entry.seen.items()):
                try:
                    if not proc.is_running():  # exited, and the pid may belong to someone else now
                        raise psutil.NoSuchProcess(pid)
                    rss += proc.memory_info().rss
                except psutil.Error:
                    del entry.seen[pid]
            if rss > entry.limit:
                log.info(
                    "pid %d: tree RSS %d > limit %d: OOM kill", entry.process.pid, rss, entry.limit
                )
                entry.killed = True
                entry.process.signal_group(signal.SIGKILL)
                for proc in entry.survivors():
                    with contextlib.suppress(psutil.Error):
                        proc.kill()
                entry.on_oom()

    @staticmethod
    def _refresh_tree(entry: Watched, children: dict[int, list[int]]) -> None:
        stack = [entry.process.pid, *(p for p, proc in entry.seen.items() if proc.is_running())]
        visited: set[int] = set()
        while stack:
            pid = stack.pop()
            if pid in visited:
                continue
            visited.add(pid)
            if pid not in entry.seen:
                with contextlib.suppress(psutil.Error):
                    entry.seen[pid] = psutil.Process(pid)
            stack.extend(children.get(pid, ()))
