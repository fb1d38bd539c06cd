"""The warm interpreter of one Python environment: forks a child per container it is asked for.

`forking.Server` starts `<venv>/bin/python <this file> FD` with one end of a
socket pair as FD; the file is run by path and imports only the standard library,
so it works in any venv, with or without pinnace installed. It first imports the
`preload` modules (what makes a child start warm; one that fails is reported and
skipped; `module:function` also calls the function, to fill caches), says `ready`, then serves requests one at a time on the socket:

    agent → server   {"op": "spawn", "id", "argv", "env", "cwd", "log"}   argv: python -m MODULE ...
                     {"op": "ack", "pid"}        the agent has recorded the child
    server → agent   {"op": "started", "id", "pid"}  |  {"op": "failed", "id", "error"}
                     {"op": "exited", "pid", "code"}  (container exit code: signal N → 128 + N)

Messages are 4-byte big-endian lengths followed by JSON. Each child becomes what
a fresh `python -m MODULE` would be: its own session and process group, stdin
/dev/null, stdout and stderr appended to the log file, the container's working
dir and environment (exactly, nothing inherited), `sys.argv`, `sys.path` with
the cwd and `PYTHONPATH` in front, stdio buffering as `PYTHONUNBUFFERED` says,
signal dispositions of a new interpreter, then `runpy` runs the module as
`__main__`; its exit status follows CPython's rules (SystemExit, an uncaught
exception → traceback and 1, non-daemon threads joined, atexit run).

When the agent goes away (EOF: a stop, or `kill -9` of the platform), the server
kills the children the agent never acknowledged (it died before recording them,
so nobody would ever find them) and exits; acknowledged children keep running
and are adopted or killed by the next agent from its records, as for any process.
"""

import contextlib
import io
import json
import os
import runpy
import selectors
import signal
import socket
import struct
import sys
import traceback
from typing import Any

_HEADER = struct.Struct(">I")


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _messages(buffer: bytearray) -> list[dict[str, Any]]:
    out = []
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            break
        out.append(json.loads(bytes(buffer[_HEADER.size : _HEADER.size + size])))
        del buffer[: _HEADER.size + size]
    return out


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _stdio(env: dict[str, str]) -> None:
    """Fresh text streams over fds 0, 1 and 2, buffered as a new interpreter's would be."""
    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    encoding = env.get("PYTHONIOENCODING", "").split(":")[0] or "utf-8"

    def writer(fd: int, errors: str, *, lines: bool) -> io.TextIOWrapper:
        raw = io.FileIO(fd, "w", closefd=False)
        binary: Any = raw if unbuffered else io.BufferedWriter(raw)
        return io.TextIOWrapper(
            binary,
            encoding=encoding,
            errors=errors,
            write_through=unbuffered,
            line_buffering=lines and not unbuffered,
        )

    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    sys.stdout = writer(1, "strict", lines=False)
    sys.stderr = writer(2, "backslashreplace", lines=True)  # as CPython ≥ 3.9, not a tty
    for name in ("stdin", "stdout", "stderr"):
        setattr(sys, f"__{name}__", getattr(sys, name))


def _finish(code: int) -> None:
    """What CPython does at exit: join non-daemon threads, run atexit, flush; then exit."""
    import atexit
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # CPython: exit 120 when flushing stdout fails
    os._exit(code)


def _system_exit(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _child(request: dict[str, Any], log_fd: int, ready: int, base_path: list[str]) -> None:
    """In the forked child: become the container, run the module, exit. Never returns."""
    code = 1
    try:
        os.setsid()
        os.write(ready, b"x")
        os.close(ready)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.closerange(3, 1 << 16)  # the socket, the wake-up pipe, the selector: the server's
        env: dict[str, str] = request["env"]
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None  # type: ignore[attr-defined]  # the server's
        _stdio(env)
        argv: list[str] = request["argv"]
        module = argv[argv.index("-m") + 1]
        extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.getcwd(), *extra, *base_path]
        sys.argv = ["-m", *argv[argv.index("-m") + 2 :]]  # runpy puts the module's path first
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _system_exit(exc)
        except KeyboardInterrupt:
            traceback.print_exc()
            code = 128 + signal.SIGINT
        except BaseException:
            traceback.print_exc()
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    _finish(code)


class Server:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: dict[int, bool] = {}  # pid → acknowledged by the agent
        self.base_path = list(sys.path)
        self.buffer = bytearray()

    def preload(self, modules: list[str], env: dict[str, str]) -> list[str]:
        saved = dict(os.environ)
        os.environ.update(env)
        problems = []
        for entry in modules:
            name, _, function = entry.partition(":")
            try:
                __import__(name)
                if function:  # `module:function`: called once, to fill caches children inherit
                    getattr(sys.modules[name], function)()
            except Exception as exc:
                problems.append(f"{name}: {type(exc).__name__}: {exc}")
        os.environ.clear()
        os.environ.update(saved)
        return problems

    def spawn(self, request: dict[str, Any]) -> None:
        try:
            if not os.path.isdir(request["cwd"]):
                raise OSError(f"working directory {request['cwd']!r} does not exist")
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            log_fd = os.open(request["log"], flags, 0o644)
        except OSError as exc:
            _send(self.sock, {"op": "failed", "id": request["id"], "error": str(exc)})
            return
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self.sock.close()
            os.close(ready_r)
            _child(request, log_fd, ready_w, self.base_path)
        os.close(log_fd)
        os.close(ready_w)
        os.read(ready_r, 1)  # its own session exists: stopping its group now reaches it
        os.close(ready_r)
        self.children[pid] = False
        _send(self.sock, {"op": "started", "id": request["id"], "pid": pid})

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.pop(pid, None)
            _send(self.sock, {"op": "exited", "pid": pid, "code": _exit_code(status)})

    def serve(self) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ, "agent")
        sel.register(wake_r, selectors.EVENT_READ, "child")
        while True:
            for key, _ in sel.select():
                if key.data == "child":
                    os.read(wake_r, 4096)
                    self.reap()
                    continue
                data = self.sock.recv(1 << 16)
                if not data:
                    self.abandon()
                    return
                self.buffer += data
                for message in _messages(self.buffer):
                    if message["op"] == "spawn":
                        self.spawn(message)
                    elif message["op"] == "ack" and message["pid"] in self.children:
                        self.children[message["pid"]] = True
            self.reap()

    def abandon(self) -> None:
        """The agent is gone: kill the children it never recorded; leave the others running."""
        for pid, acknowledged in self.children.items():
            if not acknowledged:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)  # its group, if it got as far as setsid
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def main() -> None:
    # Run by path: the directory of this file is sys.path[0]; a child must not see it.
    if sys.path and os.path.dirname(os.path.abspath(__file__)) == os.path.abspath(sys.path[0]):
        del sys.path[0]
    sock = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(sys.argv[2])
    server = Server(sock)
    problems = server.preload(list(config.get("preload", [])), dict(config.get("env", {})))
    _send(sock, {"op": "ready", "pid": os.getpid(), "problems": problems})
    server.serve()


if __name__ == "__main__":
    main()
