from __future__ import annotations

import time
from pathlib import Path

from pinnace.runtime import logs


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, text: str) -> None:
    with open(path, "a") as f:
        f.write(text)


def test_tail_and_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    clock = FakeTime()
    indexer = logs.Indexer(clock)
    write(path, "one\ntwo\n")
    indexer.note(path)
    clock.now += 5
    write(path, "three\n")
    indexer.note(path)
    indexer.note(path)  # no growth, no record

    assert logs.index_path(path).read_text().count("\n") == 2
    data, end = logs.read(path, offset=logs.start_offset(path, tail=2))
    assert data == b"two\nthree\n"
    assert end == path.stat().st_size

    stamped, _ = logs.read(path, timestamps=True)
    lines = stamped.decode().splitlines()
    assert lines[0] == "2023-11-14T22:13:20.000000000Z one"
    assert lines[2] == "2023-11-14T22:13:25.000000000Z three"

    since = logs.start_offset(path, since=clock.now - 1)
    assert logs.read(path, offset=since)[0] == b"three\n"


def test_tail_edge_cases(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    write(path, "a\nb\nc")  # last line still being written
    assert logs.read(path, offset=logs.start_offset(path, tail=1))[0] == b"c"
    assert logs.read(path, offset=logs.start_offset(path, tail=10))[0] == b"a\nb\nc"
    assert logs.read(path, offset=logs.start_offset(path, tail=0))[0] == b""
    big = tmp_path / "big.log"
    write(big, "".join(f"line {i}\n" for i in range(20000)))
    assert logs.read(big, offset=logs.start_offset(big, tail=2))[0] == b"line 19998\nline 19999\n"


def test_index_survives_a_new_indexer(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    write(path, "x\n")
    logs.Indexer().note(path)
    logs.Indexer().note(path)  # a restarted agent does not record the same bytes again
    assert logs.index_path(path).read_text().count("\n") == 1


async def test_follow_until_stopped(tmp_path: Path) -> None:
    path = tmp_path / "0.log"
    write(path, "first\npart")
    running = [True]
    chunks = []
    async for chunk in logs.follow(path, offset=0, running=lambda: running[0], poll=0.01):
        chunks.append(chunk)
        if len(chunks) == 1:
            write(path, "ial\n")
        else:
            running[0] = False
    assert b"".join(chunks) == b"first\npartial\n"
    assert chunks[0] == b"first\n"


def test_rfc3339nano() -> None:
    assert logs.rfc3339nano(0.5) == "1970-01-01T00:00:00.500000000Z"
    assert abs(logs.Timeline(Path("/nonexistent")).time_at(0) - time.time()) < 5
