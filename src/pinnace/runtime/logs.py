"""Container log files and their timestamp index.

A container's stdout and stderr are appended by the process itself to
`<pod dir>/<container>/<restart>.log` (no pipe through the agent, so a
process keeps logging while the agent restarts). Since the bytes carry no
time, the agent keeps a sidecar index `<restart>.log.ts`: lines `END TIME`
saying "the file had reached END bytes by TIME (unix seconds)". `Indexer`
appends to it whenever it sees the file grow (a periodic pass over running
containers, plus one at exit); a log line's timestamp is the TIME of the first
record whose END lies past the line's start, so it is late by at most one
pass. `read` and `follow` serve the kubelet log endpoint (`logserving`):
tailLines, sinceSeconds/sinceTime, timestamps, follow.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

_BLOCK = 64 * 1024


def log_path(container_dir: Path, restart: int) -> Path:
    return container_dir / f"{restart}.log"


def index_path(path: Path) -> Path:
    return path.with_name(path.name + ".ts")


class Indexer:
    """Records, per log file, when its size grew."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._ends: dict[Path, int] = {}
        self.active: set[Path] = set()
        """Logs of running containers, noted on every pass of `run`."""

    async def run(self, interval: float = 0.25) -> None:
        """Note every active log each `interval` seconds (the node agent runs this)."""
        while True:
            for path in list(self.active):
                self.note(path)
            await asyncio.sleep(interval)

    def note(self, path: Path) -> None:
        """Index whatever `path` gained since the last note."""
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return
        last = self._ends.get(path)
        if last is None:
            last = _last_indexed_end(index_path(path))
        if size > last:
            with open(index_path(path), "a") as out:
                out.write(f"{size} {self._clock():.6f}\n")
        self._ends[path] = max(size, last)

    def forget(self, path: Path) -> None:
        self._ends.pop(path, None)


def _last_indexed_end(index: Path) -> int:
    try:
        with open(index, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 128))
            lines = f.read().splitlines()
    except FileNotFoundError:
        return 0
    for line in reversed(lines):
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            return int(parts[0])
    return 0


class Timeline:
    """A log file's index loaded for lookups: byte offset → time the byte was first seen."""

    def __init__(self, path: Path) -> None:
        self.ends: list[int] = []
        self.times: list[float] = []
        try:
            text = index_path(path).read_text()
        except FileNotFoundError:
            return
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2:
                self.ends.append(int(parts[0]))
                self.times.append(float(parts[1]))

    def time_at(self, offset: int) -> float:
        i = bisect.bisect_right(self.ends, offset)
        return self.times[i] if i < len(self.times) else time.time()

    def offset_since(self, since: float) -> int:
        """The first byte offset written at or after `since`."""
        i = bisect.bisect_left(self.times, since)
        return self.ends[i - 1] if i > 0 else 0


def rfc3339nano(ts: float) -> str:
    when = dt.datetime.fromtimestamp(ts, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def _tail_offset(path: Path, lines: int) -> int:
    """The offset where the last `lines` lines of the file begin."""
    if lines <= 0:
        return os.stat(path).st_size
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        pos = end
        newlines = 0
        # A trailing newline ends the last line; it does not start another one.
        skip_last = True
        while pos > 0:
            start = max(0, pos - _BLOCK)
            f.seek(start)
            block = f.read(pos - start)
            for i in range(len(block) - 1, -1, -1):
                if block[i] == 0x0A:
                    if skip_last and start + i == end - 1:
                        continue
                    newlines += 1
                    if newlines == lines:
                        return start + i + 1
            skip_last = False
            pos = start
    return 0


def start_offset(path: Path, *, tail: int | None = None, since: float | None = None) -> int:
    """Where reading begins for tailLines/since (the later of the two)."""
    offset = 0
    if tail is not None:
        offset = _tail_offset(path, tail)
    if since is not None:
        offset = max(offset, Timeline(path).offset_since(since))
    return offset


def read(
    path: Path, *, offset: int = 0, timestamps: bool = False, whole_lines: bool = False
) -> tuple[bytes, int]:
    """The log from `offset` to its current end, and the offset reached; with `whole_lines`
    a last line without its newline is left for the next read (for `follow`)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return b"", offset
    if whole_lines:
        data = data[: data.rfind(b"\n") + 1]
    if not timestamps or not data:
        return data, offset + len(data)
    timeline = Timeline(path)
    out = []
    pos = offset
    for line in data.splitlines(keepends=True):
        out.append(rfc3339nano(timeline.time_at(pos)).encode() + b" " + line)
        pos += len(line)
    return b"".join(out), offset + len(data)


async def follow(
    path: Path,
    *,
    offset: int,
    running: Callable[[], bool],
    timestamps: bool = False,
    poll: float = 0.1,
) -> AsyncIterator[bytes]:
    """Yield what the log gains from `offset` on, until the container stops running."""
    while True:
        alive = running()
        # While it runs, hold back a line still being written; at the end, send all.
        chunk, offset = read(path, offset=offset, timestamps=timestamps, whole_lines=alive)
        if chunk:
            yield chunk
        if not alive:
            return
        await asyncio.sleep(poll)
