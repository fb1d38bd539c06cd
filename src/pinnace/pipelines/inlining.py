"""kfp's lightweight-component command, run inline: no sh, no pip process, no fresh interpreter.

The kfp compiler turns every `@dsl.component` into this command (the prologue is
absent with `install_kfp_package=False` and no `packages_to_install`):

    sh -c '<ensurepip check> PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install ... && "$0" "$@"'
    sh -ec 'program_path=$(mktemp -d) printf "%s" "$0" > "$program_path/ephemeral_component.py"
            _KFP_RUNTIME=true python3 -m kfp.dsl.executor_main --component_module_path
            "$program_path/ephemeral_component.py" "$@"'
    SOURCE --executor_input {...} --function_to_execute NAME

`launching.launch` calls `run(argv, env)` before running a command. When argv
is exactly that shape, every requirement of the prologue is already met (the pip
shim's rules, `shim/pip`), and `python3` on the command's PATH is this very
interpreter, it does what the shell would: writes SOURCE to a fresh temporary
dir as `ephemeral_component.py` and runs `python3 -m kfp.dsl.executor_main` with
that environment plus `_KFP_RUNTIME=true` — in a forked child of the launcher
(so the component cannot disturb the launcher that collects its outputs, and a
launcher started warm by the runtime's fork server finds kfp's executor already
imported). The exit code follows CPython's rules. Anything else (another shape,
an unmet requirement, another python) answers None, and the command runs as
written: the general path.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EXECUTOR = "kfp.dsl.executor_main"
PRELOAD = (EXECUTOR, "packaging.requirements", "pinnace.pipelines.shim.pip", f"{__name__}:warm")
"""What makes an inline run start warm (the runtime's fork server imports these first)."""
PRELOAD_ENV = {"_KFP_RUNTIME": "true"}
"""kfp's executor imports only its slim runtime part under `_KFP_RUNTIME=true`."""

_PROLOGUE = re.compile(
    r'\s*if ! \[ -x "\$\(command -v pip\)" \]; then\s+'
    r"python3 -m ensurepip \|\| python3 -m ensurepip --user \|\| apt-get install python3-pip\s+"
    r"fi\s+PIP_DISABLE_PIP_VERSION_CHECK=1 (?P<pips>.+) && \"\$0\" \"\$@\"\s*",
    re.DOTALL,
)
_PROGRAM = (
    'program_path=$(mktemp -d) printf "%s" "$0" > "$program_path/ephemeral_component.py" '
    "_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main --component_module_path "
    '"$program_path/ephemeral_component.py" "$@"'
)
_PIP = ["python3", "-m", "pip", "install"]


@dataclass(frozen=True, slots=True)
class Lightweight:
    """A recognised lightweight-component command."""

    installs: tuple[tuple[str, ...], ...]
    """The arguments of each `pip install` of the prologue."""
    source: str
    args: tuple[str, ...]


def recognise(argv: Sequence[str]) -> Lightweight | None:
    """The parts of kfp's lightweight-component command, or None for any other command."""
    rest = list(argv)
    installs: list[tuple[str, ...]] = []
    if rest[:2] == ["sh", "-c"] and len(rest) > 3 and rest[3] == "sh":
        match = _PROLOGUE.fullmatch(rest[2])
        if match is None:
            return None
        try:
            tokens = shlex.split(match["pips"])
        except ValueError:
            return None
        commands: list[list[str]] = [[]]
        for token in tokens:
            if token == "&&":
                commands.append([])
            else:
                commands[-1].append(token)
        for command in commands:
            if command[:4] != _PIP:
                return None
            installs.append(tuple(command[4:]))
        rest = rest[3:]
    if len(rest) < 4 or rest[:2] != ["sh", "-ec"] or " ".join(rest[2].split()) != _PROGRAM:
        return None
    return Lightweight(tuple(installs), rest[3], tuple(rest[4:]))


def warm() -> None:
    """Fill the caches every inline run would fill first (called once in the fork server).

    The installed distributions (the prologue's requirement check), the regexes
    argparse compiles for the executor's options, and the names a component's
    `from kfp.dsl import *` resolves.
    """
    import argparse

    _met([("kfp", "packaging")])
    parser = argparse.ArgumentParser()
    for option in ("--component_module_path", "--function_to_execute", "--executor_input"):
        parser.add_argument(option, type=str)
    parser.parse_known_args(["--function_to_execute", "f", "--executor_input", "{}"])
    exec("from kfp.dsl import *", {})  # a constant: resolves kfp lazy names


def _met(installs: Sequence[Sequence[str]]) -> bool:
    from pinnace.pipelines.shim import pip

    return all(pip.unmet(req) is None for args in installs for req in pip.requirements(args))


def _is_this_python(env: Mapping[str, str]) -> bool:
    found = shutil.which("python3", path=env.get("PATH", os.defpath))
    return found is not None and os.path.realpath(found) == os.path.realpath(sys.executable)


def run(argv: Sequence[str], env: Mapping[str, str]) -> int | None:
    """Run kfp's lightweight command inline; its exit code, or None: run it as written."""
    lightweight = recognise(argv)
    if lightweight is None or not _is_this_python(env) or not _met(lightweight.installs):
        return None
    program_dir = tempfile.mkdtemp()  # as `mktemp -d`, and left behind as it would be
    module_path = os.path.join(program_dir, "ephemeral_component.py")
    with open(module_path, "w") as f:
        f.write(lightweight.source)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:
        _executor(["--component_module_path", module_path, *lightweight.args], env)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _at_exit() -> None:
    """What CPython does before exiting: join non-daemon threads, then run atexit."""
    import atexit
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()


def _executor(args: list[str], env: Mapping[str, str]) -> None:
    """In the forked child: `_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main ARGS`. Never returns."""
    import runpy

    code = 1
    try:
        old = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        os.environ.clear()
        os.environ.update(env)
        os.environ["_KFP_RUNTIME"] = "true"
        new = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.getcwd(), *new, *(p for p in sys.path[1:] if p not in old)]
        sys.argv = ["-m", *args]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            runpy.run_module(EXECUTOR, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code & 0xFF
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
    except BaseException:
        traceback.print_exc()
    _at_exit()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120
    os._exit(code)
