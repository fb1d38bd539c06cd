"""The `pip` a pipeline task sees: requirements are checked, never installed in place.

The kfp compiler starts every lightweight component with
`python3 -m pip install --quiet 'kfp==2.x' ... && "$0" "$@"`. The launcher
puts this package first on the task's PYTHONPATH (and a `pip` script that
runs it first on PATH), so that line costs no pip process and never changes
the environment the task shares with the platform (kfp.md quirk b):
`install` answers "already satisfied" when `importlib.metadata` shows every
requirement met — a `kfp`-family pin is met by the installed kfp of the same
major version, which runs the component. Requirements the environment does
not meet (a component's `packages_to_install`) are installed by uv into a
cached per-requirements environment that the task sees as an overlay on its
PYTHONPATH (`overlays`), never into the environment itself; a `kfp` pin of
another major version, or a launcher that gave no envs dir, is refused
clearly. Read-only commands (`list`, `freeze`, `show`, `--version`)
go to the real pip.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

_VALUED = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "--trusted-host",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--upgrade-strategy",
    "--progress-bar",
    "--cache-dir",
    "--timeout",
    "--retries",
    "--python-version",
    "--platform",
    "--only-binary",
    "--no-binary",
    "--src",
    "-e",
    "--editable",
}
_READ_ONLY = {"list", "freeze", "show", "--version", "-V", "help", "--help", "-h"}
_FAMILY = re.compile(r"^kfp([-_.].*)?$")


def requirements(args: Sequence[str]) -> Iterator[str]:
    """The requirement strings of `pip install ARGS` (requirement files read)."""
    it = iter(args)
    for arg in it:
        if arg in ("-r", "--requirement"):
            path = next(it, "")
            for line in Path(path).read_text().splitlines():
                line = line.split("#", 1)[0].strip()
                if line and not line.startswith("-"):
                    yield line
        elif arg in _VALUED:
            next(it, None)
        elif arg.startswith("-"):
            continue
        else:
            yield arg


def unmet(requirement: str) -> str | None:
    """Why `requirement` is not met by this environment (None: it is)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(requirement)
    except InvalidRequirement as exc:
        return f"{requirement!r} is not a requirement pinnace can check ({exc})"
    if req.marker is not None and not req.marker.evaluate():
        return None
    try:
        have = importlib.metadata.version(req.name)
    except importlib.metadata.PackageNotFoundError:
        return f"{req.name} is not installed"
    if not req.specifier or req.specifier.contains(have, prereleases=True):
        return None
    if _FAMILY.match(req.name.lower()):
        wanted = {s.version.split(".")[0] for s in req.specifier}
        if wanted == {have.split(".")[0]}:
            return None  # the installed kfp runs components compiled by any kfp of its major
    return f"{req.name} {have} is installed, {requirement!r} was asked for"


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0]


def install(args: Sequence[str]) -> int:
    from . import overlays

    quiet = any(a in ("-q", "--quiet") or a.startswith("-qq") for a in args)
    wanted = list(requirements(args))
    problems = {r: p for r in wanted if (p := unmet(r))}
    environ = dict(os.environ)
    # Another kfp in an overlay would replace the executor that runs the component.
    family = [p for r, p in problems.items() if _name(r).lower() == "kfp"]
    if problems and (family or not environ.get(overlays.ENVS_ENV)):
        for problem in problems.values():
            print(f"pinnace: cannot satisfy the task's requirements: {problem}", file=sys.stderr)
        why = (
            "the component runs with the platform's kfp, which another kfp cannot replace"
            if family
            else "this launcher gave no environments directory for packages_to_install"
        )
        print(
            f"pinnace: tasks never install into the platform's environment and {why}; map the "
            "image to a Python environment that has these packages",
            file=sys.stderr,
        )
        return 1
    if problems:
        try:
            env = overlays.provide(sorted(problems), args, environ)
        except (overlays.OverlayError, OSError) as exc:
            print(f"pinnace: cannot install {' '.join(sorted(problems))}: {exc}", file=sys.stderr)
            return 1
        if not quiet:
            print(f"pinnace: {', '.join(sorted(problems))} from the cached environment {env}")
    if not quiet:
        for req in wanted:
            if req not in problems:
                print(f"Requirement already satisfied: {req}")
    return 0


def real_pip(args: Sequence[str]) -> int:
    """Run the real pip (shim directory removed from the path) for a read-only command."""
    import runpy

    here = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != Path(here)]
    for name in [m for m in sys.modules if m == "pip" or m.startswith("pip.")]:
        del sys.modules[name]
    sys.argv = ["pip", *args]
    try:
        runpy.run_module("pip", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-") or a in _READ_ONLY), "")
    if command == "install":
        return install(args[args.index("install") + 1 :])
    if command in _READ_ONLY or not args:
        return real_pip(args)
    print(f"pinnace: `pip {command}` is not allowed in a pipeline task", file=sys.stderr)
    return 1
