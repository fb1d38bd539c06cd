"""Images as Python environments: what `image:` means for a local process.

There are no container images on one machine. A pod's `image` is recorded in
its status and selects the Python environment (a venv) the container runs in:
the first matching glob of the configured mapping wins, and every other image
runs in the platform's own environment. Running "in" an environment means its
`bin/` comes first on PATH (so `python`, `python3` and installed scripts are
that venv's) and `VIRTUAL_ENV` names it. Used by `containers` when building a
process spec; see docs/design/runtime.md.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def platform_prefix() -> Path:
    """The venv (or installation) this platform runs from."""
    return Path(sys.prefix)


@dataclass(frozen=True, slots=True)
class Environments:
    """Image glob → venv directory; anything unmatched runs in `default`."""

    mapping: tuple[tuple[str, Path], ...] = ()
    default: Path = field(default_factory=platform_prefix)

    def venv_for(self, image: str) -> Path:
        for pattern, venv in self.mapping:
            if fnmatch.fnmatchcase(image, pattern):
                return venv
        return self.default

    def environ(self, image: str, inherited_path: str | None = None) -> dict[str, str]:
        """PATH and VIRTUAL_ENV for a container of `image`."""
        venv = self.venv_for(image)
        path = inherited_path if inherited_path is not None else os.environ.get("PATH")
        return {
            "PATH": f"{venv / 'bin'}{os.pathsep}{path or DEFAULT_PATH}",
            "VIRTUAL_ENV": str(venv),
        }

    def image_id(self, image: str) -> str:
        """A stable id for status.imageID: the environment's path, hashed."""
        digest = hashlib.sha256(str(self.venv_for(image)).encode()).hexdigest()
        return f"pinnace://venv@sha256:{digest}"


def parse_mapping(text: str) -> tuple[tuple[str, Path], ...]:
    """`"glob=venv,glob=venv"` (as a CLI flag or env var would give it) → mapping entries."""
    entries: list[tuple[str, Path]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        pattern, sep, venv = part.partition("=")
        if not sep or not pattern or not venv:
            raise ValueError(f"expected glob=venv-path, got {part!r}")
        entries.append((pattern.strip(), Path(venv.strip()).expanduser()))
    return tuple(entries)
