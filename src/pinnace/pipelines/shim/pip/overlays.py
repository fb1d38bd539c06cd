"""Cached per-requirements environments for `packages_to_install`, as PYTHONPATH overlays.

The pip shim (`install`) calls `provide` with the requirements the task's
environment does not meet. Each set of requirements gets one directory under
the platform's envs dir (`$PINNACE_ENVS_DIR`, `<data dir>/pipelines/envs`),
named by a hash of the sorted requirements, the interpreter (implementation,
major.minor, platform) and the index options, and filled once by
`uv pip install --target` under an exclusive file lock, so concurrent tasks
asking for the same packages wait for one build and share it. A directory is
complete when its marker file exists: it is built beside its final name and
renamed into place. The task then sees it through `$PINNACE_OVERLAY`, a path
the launcher put on the command's PYTHONPATH (after the shim, before the
platform's site-packages) and whose `bin/` it put on PATH: `provide` makes
that path a symlink to the cached directory. Two `pip install` lines of one
task get one overlay for the union of their requirements.

Why an overlay and not a venv with `--system-site-packages`: the platform's
own environment is itself a venv, and a venv made with system site packages
sees the *base* interpreter's site-packages, not the platform venv's, so
kfp (which runs the component) would be missing. An overlay on PYTHONPATH
layers the new packages over whatever environment the image maps to, and the
platform's environment is never written (docs/design/pipelines.md).
Standard library only: this runs inside the task's interpreter.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ENVS_ENV = "PINNACE_ENVS_DIR"
OVERLAY_ENV = "PINNACE_OVERLAY"
UV_ENV = "PINNACE_UV"
MARKER = ".pinnace-env.json"

_PIP_ENV_FLAGS = (
    ("PIP_INDEX_URL", "--index-url"),
    ("PIP_EXTRA_INDEX_URL", "--extra-index-url"),
    ("PIP_FIND_LINKS", "--find-links"),
)


class OverlayError(Exception):
    """The requirements could not be installed; the message says why (uv's own output)."""


def index_options(args: Sequence[str], environ: dict[str, str]) -> list[str]:
    """The index options of `pip install ARGS` (and pip's PIP_* variables) as uv flags."""
    out: list[str] = []
    it = iter(args)
    for arg in it:
        flag, eq, value = arg.partition("=")
        if flag in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links"):
            value = value if eq else next(it, "")
            name = {"-i": "--index-url", "-f": "--find-links"}.get(flag, flag)
            out += [name, value]
        elif flag == "--trusted-host":
            out += ["--allow-insecure-host", value if eq else next(it, "")]
        elif flag == "--no-index":
            out.append("--no-index")
        elif flag == "--pre":
            out += ["--prerelease", "allow"]
    for var, name in _PIP_ENV_FLAGS:
        for value in environ.get(var, "").split():
            out += [name, value]
    if environ.get("PIP_NO_INDEX", "").lower() in ("1", "true", "yes", "on"):
        out.append("--no-index")
    return out


def interpreter() -> str:
    impl = sys.implementation.name
    return f"{impl}-{sys.version_info[0]}.{sys.version_info[1]}-{sys.platform}-{platform.machine()}"


def key(requirements: Sequence[str], options: Sequence[str]) -> str:
    """The cache key: sorted requirements, the interpreter and the index options, hashed."""
    body = {
        "requirements": sorted(set(requirements)),
        "python": interpreter(),
        "options": list(options),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]


def uv_binary(environ: dict[str, str]) -> str:
    given = environ.get(UV_ENV)
    if given:
        return given
    found = shutil.which("uv")
    if found is None:
        raise OverlayError("uv is not installed: packages_to_install needs it (make install)")
    return found


def ensure(
    envs_dir: Path,
    requirements: Sequence[str],
    options: Sequence[str],
    *,
    uv: str,
) -> Path:
    """The complete cached environment for `requirements`, built now if it is missing."""
    digest = key(requirements, options)
    final = envs_dir / digest
    if (final / MARKER).exists():
        return final
    envs_dir.mkdir(parents=True, exist_ok=True)
    with open(envs_dir / f".{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also on a crash
        if (final / MARKER).exists():
            return final  # another task built it while this one waited
        building = envs_dir / f".{digest}.{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        argv = [uv, "pip", "install", "--quiet", "--target", str(building)]
        argv += ["--python", sys.executable, *options, *sorted(set(requirements))]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            raise OverlayError(done.stderr.strip() or f"uv exited with {done.returncode}")
        marker = {"requirements": sorted(set(requirements)), "python": interpreter()}
        (building / MARKER).write_text(json.dumps({**marker, "options": list(options)}))
        shutil.rmtree(final, ignore_errors=True)  # an incomplete one (no marker) from a crash
        os.rename(building, final)
    return final


def linked(overlay: Path) -> list[str]:
    """The requirements the task's overlay already provides."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return list(json.loads((overlay / MARKER).read_text())["requirements"])
    return []


def provide(requirements: Sequence[str], args: Sequence[str], environ: dict[str, str]) -> Path:
    """Make the task's overlay path name a cached environment with `requirements` (and what
    earlier `pip install` lines of the task asked for); returns that environment."""
    envs_dir = Path(environ[ENVS_ENV])
    overlay = Path(environ[OVERLAY_ENV])
    wanted = sorted({*linked(overlay), *requirements})
    env = ensure(envs_dir, wanted, index_options(args, environ), uv=uv_binary(environ))
    tmp = overlay.with_name(f".{overlay.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(env, target_is_directory=True)
    os.replace(tmp, overlay)
    return env
