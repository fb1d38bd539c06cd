"""Warm starts: a fork server per Python environment, for the entry points named warm.

`containers` asks `Forks.spawn(launch, venv)` before spawning a process itself.
When the container's argv is `python -m MODULE ...` (python or python3 found on
the container's PATH as that venv's interpreter), MODULE is one of
`Settings.modules`, and the environment sets no interpreter option we cannot
honour in a forked child, the venv's `Server` (started on first use:
`forkserver.py` in the venv's python, with `Settings.preload` imported) forks
the child; otherwise the answer is None and the process is spawned as usual.

The child is a `processes.Process` like any other: its own session and process
group (stop and kill signal the group), stdout and stderr appended to the same
log file, the container's env, working dir and pod IP, its exit code reported by
the server (which is its parent) over the socket. Memory limits watch it as any
process. Only named modules are warmed, because a forked child differs from an
exec'd one in ways some programs see: its `/proc/<pid>/cmdline` and environ
block are the server's (the restart scan by `PINNACE_POD_DIR` cannot see it; the
pod record's identity finds it, and the server kills a child the agent never
recorded when the agent dies), modules preloaded with `Settings.env` keep what
they read at import, and all children share one hash seed.
See docs/design/runtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from pinnace.runtime import processes

log = logging.getLogger(__name__)

PROGRAM = Path(__file__).with_name("forkserver.py")
_HEADER = struct.Struct(">I")
_HONOURED = frozenset(
    {"PYTHONUNBUFFERED", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING"}
)
"""PYTHON* variables a forked child honours; any other one sends the container to a fresh exec."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Which entry points start warm, and what their servers import first."""

    modules: tuple[str, ...] = ()
    """`python -m MODULE` entry points that fork from the warm server."""
    preload: tuple[str, ...] = ()
    """Imported by each server before it forks anything (a missing one is skipped);
    `module:function` also calls `function()` once (to fill caches the children inherit)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Set in the server only while it preloads (e.g. `_KFP_RUNTIME=true` for kfp's executor)."""


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def module_of(argv: list[str] | tuple[str, ...], env: Mapping[str, str], venv: Path) -> str | None:
    """The MODULE of `python -m MODULE ...` when `python` is `venv`'s interpreter; else None."""
    if len(argv) < 3 or argv[1] != "-m" or os.path.basename(argv[0]) not in ("python", "python3"):
        return None
    found = shutil.which(argv[0], path=env.get("PATH", os.defpath))
    if found is None or os.path.realpath(found) != os.path.realpath(python_of(venv)):
        return None
    if any(k.startswith("PYTHON") and k not in _HONOURED for k in env):
        return None
    return argv[2]


class ServerGone(Exception):
    """The fork server exited; its children's exit codes are lost."""


class Server:
    """One warm interpreter of one venv, and the children it forked for this agent."""

    def __init__(self, venv: Path, settings: Settings) -> None:
        self.venv = venv
        self.settings = settings
        self.pid = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._ids = 0
        self._starting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._exits: dict[int, asyncio.Future[int | None]] = {}
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        ours, theirs = socket.socketpair()
        config = {"preload": list(self.settings.preload), "env": dict(self.settings.env)}
        env = {"PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
        env.update({k: os.environ[k] for k in ("HOME", "LANG", "LC_ALL", "TZ") if k in os.environ})
        env["VIRTUAL_ENV"] = str(self.venv)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                str(python_of(self.venv)),
                str(PROGRAM),
                str(theirs.fileno()),
                json.dumps(config),
                pass_fds=(theirs.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            theirs.close()
        self.pid = self._proc.pid
        self._reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.get_running_loop().create_task(
            self._read(), name=f"forkserver-{self.pid}"
        )
        ready = await asyncio.shield(self._ready)
        for problem in ready.get("problems", ()):
            log.warning("fork server for %s: cannot preload %s", self.venv, problem)
        log.info("fork server for %s ready (pid %d)", self.venv, self.pid)

    def _send(self, message: dict[str, Any]) -> None:
        assert self._writer is not None
        data = json.dumps(message).encode()
        self._writer.write(_HEADER.pack(len(data)) + data)

    async def _read(self) -> None:
        assert self._reader is not None
        try:
            while True:
                header = await self._reader.readexactly(_HEADER.size)
                (size,) = _HEADER.unpack(header)
                message = json.loads(await self._reader.readexactly(size))
                self._dispatch(message)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._lost()

    def _dispatch(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "ready" and self._ready is not None and not self._ready.done():
            self._ready.set_result(message)
        elif op in ("started", "failed"):
            fut = self._starting.pop(int(message["id"]), None)
            if fut is not None and not fut.done():
                fut.set_result(message)
        elif op == "exited":
            pid = int(message["pid"])
            exit_fut = self._exits.pop(pid, None)
            if exit_fut is None:  # exited before `spawn` saw "started": keep it for it
                exit_fut = asyncio.get_running_loop().create_future()
                self._exits[pid] = exit_fut
            if not exit_fut.done():
                exit_fut.set_result(int(message["code"]))

    def _lost(self) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ServerGone(f"the fork server for {self.venv} exited"))
        for fut in self._starting.values():
            if not fut.done():
                fut.set_exception(ServerGone(f"the fork server for {self.venv} exited"))
        self._starting.clear()
        for pid, exit_fut in list(self._exits.items()):
            if not exit_fut.done():
                # Its parent is gone, so is its exit code; wait for the process itself.
                asyncio.get_running_loop().create_task(self._orphaned(pid, exit_fut))

    @staticmethod
    async def _orphaned(pid: int, fut: asyncio.Future[int | None]) -> None:
        loop = asyncio.get_running_loop()
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            fd = -1
        if fd >= 0:
            gone: asyncio.Future[None] = loop.create_future()

            def wake() -> None:
                if not gone.done():
                    gone.set_result(None)

            loop.add_reader(fd, wake)
            try:
                await gone
            finally:
                loop.remove_reader(fd)
                os.close(fd)
        if not fut.done():
            fut.set_result(None)

    async def spawn(self, launch: processes.Launch) -> processes.Process:
        """Fork `launch` from this server; raises `processes.StartError` or `ServerGone`."""
        if not self.alive:
            raise ServerGone(f"the fork server for {self.venv} is not running")
        self._ids += 1
        request_id = self._ids
        started: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._starting[request_id] = started
        launch.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._send(
            {
                "op": "spawn",
                "id": request_id,
                "argv": list(launch.argv),
                "env": dict(launch.env),
                "cwd": str(launch.cwd),
                "log": str(launch.log_path),
            }
        )
        reply = await started
        if reply["op"] == "failed":
            raise processes.StartError(str(reply["error"]))
        pid = int(reply["pid"])
        exit_fut = self._exits.get(pid)
        if exit_fut is None:
            exit_fut = asyncio.get_running_loop().create_future()
            self._exits[pid] = exit_fut
        try:
            created = psutil.Process(pid).create_time()
        except psutil.Error:
            created = 0.0  # already gone: its exit code is on the way
        return processes.Process(processes.Identity(pid, pid, created), None, reaped=exit_fut)

    def acknowledge(self, process: processes.Process) -> None:
        """The agent has recorded `process`: if the agent dies now, the next one will find it."""
        if self.alive:
            self._send({"op": "ack", "pid": process.pid})

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._proc is not None:
            try:
                await asyncio.wait_for(self._proc.wait(), 5)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()


class Forks:
    """The fork servers of one node agent, one per venv, started on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._servers: dict[Path, Server] = {}
        self._starting: dict[Path, asyncio.Lock] = {}
        self.forked = 0
        """Children forked so far (the rest of the containers were spawned)."""

    def eligible(self, launch: processes.Launch, venv: Path) -> bool:
        module = module_of(list(launch.argv), launch.env, venv)
        return module is not None and module in self.settings.modules

    async def server(self, venv: Path) -> Server:
        lock = self._starting.setdefault(venv, asyncio.Lock())
        async with lock:
            server = self._servers.get(venv)
            if server is None or not server.alive:
                server = Server(venv, self.settings)
                await server.start()
                self._servers[venv] = server
            return server

    async def spawn(self, launch: processes.Launch, venv: Path) -> processes.Process | None:
        """The forked child of `launch`, or None when it must be spawned as usual."""
        if not self.eligible(launch, venv):
            return None
        try:
            server = await self.server(venv)
            process = await server.spawn(launch)
        except (ServerGone, OSError) as exc:
            log.warning("fork server for %s unavailable (%s): spawning instead", venv, exc)
            return None
        self.forked += 1
        return process

    def acknowledge(self, process: processes.Process, venv: Path) -> None:
        server = self._servers.get(venv)
        if server is not None:
            server.acknowledge(process)

    async def stop(self) -> None:
        for server in self._servers.values():
            await server.stop()
        self._servers.clear()
