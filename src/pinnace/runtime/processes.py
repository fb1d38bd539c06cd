"""Container processes: start, watch, signal, stop and adopt local process groups.

The bottom of the runtime. `containers` turns a pod's container into a
`Launch` and calls `spawn`; the result is a `Process` whose whole group can be
signalled (every container is its own session, so its children share its
process group). There is no wrapper and no supervisor process: the process's
stdout and stderr go straight to its log file, and its exit is noticed through
a pidfd registered with the event loop. A process found again after the node
agent restarted is `adopt`ed through its persisted `Identity` (pid, process
group, start time); its exit can still be seen, but not its exit code, since
only the parent can reap it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

_SAME_START = 0.05
"""Seconds within which two start times name the same process (psutil rounds to clock ticks)."""


class StartError(Exception):
    """The process could not be started (missing executable, bad working dir...)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """What makes a process ours across restarts of the node agent."""

    pid: int
    pgid: int
    create_time: float

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "pgid": self.pgid, "createTime": self.create_time}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Identity:
        return cls(int(data["pid"]), int(data["pgid"]), float(data["createTime"]))


@dataclass(frozen=True, slots=True)
class Launch:
    """Everything needed to start one container process."""

    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path
    log_path: Path


_detached: list[subprocess.Popen[bytes]] = []
"""Processes left running by `Process.close`: a later agent adopts (and may end) them."""


@atexit.register
def _reap_detached() -> None:
    # Collect the exit status of detached processes that have ended meanwhile, so that
    # neither zombies nor "still running" warnings outlive the agent's own process.
    for popen in _detached:
        popen.poll()


def exit_code(returncode: int) -> int:
    """Popen's return code as a container exit code (killed by signal N → 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


class Process:
    """A running container process and its process group."""

    def __init__(
        self,
        identity: Identity,
        popen: subprocess.Popen[bytes] | None,
        *,
        reaped: asyncio.Future[int | None] | None = None,
    ) -> None:
        self.identity = identity
        self._popen = popen
        self._reaped = reaped
        """The exit code as its parent reports it, for a child of a fork server (`forking`)."""
        self._exited: asyncio.Future[int | None] | None = None
        self._pidfd: int | None = None
        if reaped is None:  # a forked child's exit comes from its parent, not a pidfd
            with contextlib.suppress(ProcessLookupError):
                self._pidfd = os.pidfd_open(identity.pid)

    @property
    def pid(self) -> int:
        return self.identity.pid

    @property
    def adopted(self) -> bool:
        """True when this agent did not start the process (its exit code cannot be read)."""
        return self._popen is None and self._reaped is None

    def done(self) -> bool:
        if self._reaped is not None:
            return self._reaped.done()
        return self._exited is not None and self._exited.done()

    async def wait(self) -> int | None:
        """The container exit code once the process exits (None if adopted: unknowable)."""
        if self._reaped is not None:
            return await asyncio.shield(self._reaped)
        if self._exited is None:
            loop = asyncio.get_running_loop()
            self._exited = loop.create_future()
            if self._pidfd is None:
                self._finish()
            else:
                loop.add_reader(self._pidfd, self._finish)
        return await asyncio.shield(self._exited)

    def _finish(self) -> None:
        assert self._exited is not None
        code: int | None = None
        if self._popen is not None:
            returncode = self._popen.poll()
            if returncode is None:
                return  # woken too early; the pidfd stays registered
            code = exit_code(returncode)
        if self._pidfd is not None:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if not self._exited.done():
            self._exited.set_result(code)

    def signal_group(self, sig: int) -> None:
        """Send `sig` to every process of the group (no-op when the group is gone)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.identity.pgid, sig)

    async def stop(self, grace: float) -> int | None:
        """SIGTERM the group, wait up to `grace` seconds, then SIGKILL; returns the exit code."""
        waiting = asyncio.ensure_future(self.wait())
        if not waiting.done():
            self.signal_group(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(waiting), timeout=max(grace, 0.0))
            except TimeoutError:
                self.signal_group(signal.SIGKILL)
        code = await waiting
        # Like a container's PID namespace: when its main process is gone, so is the rest.
        self.signal_group(signal.SIGKILL)
        return code

    def close(self) -> None:
        """Stop watching (the process keeps running; used when the agent shuts down)."""
        if self._popen is not None and self._popen.returncode is None:
            _detached.append(self._popen)  # a dropped Popen would warn, then reap it later
        if self._pidfd is not None:
            if self._exited is not None and not self._exited.done():
                asyncio.get_running_loop().remove_reader(self._pidfd)
                self._exited.cancel()
            os.close(self._pidfd)
            self._pidfd = None
        if self._reaped is not None and not self._reaped.done():
            self._reaped.cancel()


def spawn(launch: Launch) -> Process:
    """Start `launch` as a new session with stdout+stderr appended to its log file."""
    launch.log_path.parent.mkdir(parents=True, exist_ok=True)
    out = os.open(launch.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    try:
        popen = subprocess.Popen(
            list(launch.argv),
            env=dict(launch.env),
            cwd=launch.cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            close_fds=True,
        )
    except (OSError, ValueError) as exc:
        raise StartError(str(exc)) from exc
    finally:
        os.close(out)
    try:
        created = psutil.Process(popen.pid).create_time()
    except psutil.Error:
        created = 0.0  # already gone: the pidfd still reports the exit
    return Process(Identity(popen.pid, popen.pid, created), popen)


def is_ours(identity: Identity) -> bool:
    """Whether `identity.pid` is still the very process that was started (not a reused pid)."""
    try:
        proc = psutil.Process(identity.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(proc.create_time() - identity.create_time) < _SAME_START
    except psutil.Error:
        return False


def adopt(identity: Identity) -> Process | None:
    """A handle on a process started by an earlier agent, if it still runs and is ours."""
    if not is_ours(identity):
        return None
    process = Process(identity, None)
    if not is_ours(identity):  # the pidfd now pins the pid; re-check it is the same process
        process.close()
        return None
    return process


def group_members(identity: Identity) -> list[psutil.Process]:
    """The live processes of `identity`'s group, unless the group id was reused by a stranger."""
    try:
        leader = psutil.Process(identity.pgid)
        if abs(leader.create_time() - identity.create_time) >= _SAME_START:
            return []
    except psutil.Error:
        pass
    members = []
    for proc in psutil.process_iter():
        try:
            if (
                os.getpgid(proc.pid) == identity.pgid
                and proc.create_time() >= identity.create_time - _SAME_START
                and proc.status() != psutil.STATUS_ZOMBIE
            ):
                members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


MARKER = "PINNACE_POD_DIR"
"""Set in every container's environment: which pod dir the process belongs to. Children
inherit it, so it finds a pod's processes even when they left its process group."""


def marked(pods_dir: Path) -> dict[str, list[psutil.Process]]:
    """Live processes whose environment carries a `MARKER` under `pods_dir`, by pod dir."""
    prefix = str(pods_dir) + os.sep
    found: dict[str, list[psutil.Process]] = {}
    own = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == own:
            continue
        try:
            value = proc.environ().get(MARKER, "")
            if value.startswith(prefix) and proc.status() != psutil.STATUS_ZOMBIE:
                found.setdefault(value, []).append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def kill_leftovers(identity: Identity) -> int:
    """SIGKILL what is left of a container's group from an earlier agent; returns how many."""
    members = group_members(identity)
    for proc in members:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if members:
        log.info("killed %d leftover process(es) of group %d", len(members), identity.pgid)
    return len(members)
