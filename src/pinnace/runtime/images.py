"""Images as Python environments: what `image:` means for a local process.

There are no container images on one machine. A pod's `image` is recorded in
its status and selects the Python environment (a venv) the container runs in:
the first matching glob of the configured mapping wins, then the table of
known images (`IMAGES`), and every other image runs in the platform's own
environment. Running "in" an environment means its `bin/` comes first on PATH
(so `python`, `python3` and installed scripts are that venv's) and
`VIRTUAL_ENV` names it.

The table also stands in for what an image carries besides its files: its
ENTRYPOINT/CMD and ENV. A container without `command` starts the entrypoint of
the first table entry whose glob matches (Kubernetes' rules: `args` replace the
CMD), so upstream Kubeflow notebook images start a real JupyterLab from
unchanged YAML and `registry.k8s.io/pause` sleeps until stopped; the entry's
ENV sits below the pod's own env. Entries are data:
adding an image is adding a row (docs/design/notebooks.md). Used by
`containers` when building a process spec; see docs/design/runtime.md.
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


class NoEntrypoint(ValueError):
    """A container without `command` whose image has no entrypoint in the table."""


@dataclass(frozen=True, slots=True)
class Image:
    """One row of the image table: what images matching `pattern` carry.

    `venv` is the environment they run in (None: the platform's own, or what
    `Environments.mapping` says). `entrypoint` and `cmd` are the image's
    ENTRYPOINT and CMD (`$(VAR)` expands from the container's env, as in
    Kubernetes args); `env` is its ENV, overridden by the pod's env.
    """

    pattern: str
    venv: Path | None = None
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()

    def matches(self, image: str) -> bool:
        return fnmatch.fnmatchcase(image, self.pattern)


JUPYTER_PORT = 8888
HOME = "/home/jovyan"

JUPYTER_LAB = (
    "jupyter",
    "lab",
    "--ServerApp.ip=$(POD_IP)",
    f"--ServerApp.port={JUPYTER_PORT}",
    "--ServerApp.base_url=$(NB_PREFIX)",
    "--ServerApp.root_dir=$(HOME)",
    # The gateway is the one entry and authenticates; Jupyter's own token would be a second
    # login. Its XSRF check stays on (the lab page sets the `_xsrf` cookie under the prefix).
    "--IdentityProvider.token=",
    "--ServerApp.password=",
    # Behind the gateway the browser's Origin and Host are the gateway's, not the pod's.
    "--ServerApp.allow_origin=*",
    "--ServerApp.allow_remote_access=True",
    "--ServerApp.allow_root=True",
    "--ServerApp.open_browser=False",
    "--ServerApp.authenticate_prometheus=False",
)
"""What Kubeflow's jupyter images run (s6 `jupyterlab` service), on the pod IP."""

NOTEBOOK_ENV = (("HOME", HOME), ("NB_USER", "jovyan"), ("NB_PREFIX", "/"), ("SHELL", "/bin/bash"))
"""ENV of Kubeflow's notebook base image (NB_PREFIX is replaced by the controller's)."""

PAUSE = (
    sys.executable,
    "-c",
    "import signal, sys\n"
    "for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, lambda *_: sys.exit(0))\n"
    "while True: signal.pause()\n",
)
"""What the pause image's `/pause` does: sleep until SIGINT/SIGTERM, then exit 0."""

PAUSE_IMAGES = tuple(
    f"{registry}/pause{suffix}"
    for registry in ("registry.k8s.io", "k8s.gcr.io")
    for suffix in ("", ":*", "@*")
)
"""`registry.k8s.io/pause` and the older `k8s.gcr.io/pause`, any tag or digest."""

MODEL_SERVERS = (
    ("kserve/sklearnserver", "sklearn"),
    ("kserve/xgbserver", "xgboost"),
    ("kserve/lgbserver", "lightgbm"),
    ("pinnace/onnxserver", "onnx"),
)
"""KServe's model-server images (and pinnace's ONNX one) → pinnace's model server for that
format, so upstream ServingRuntime YAML (no `command`, KServe's args) runs unchanged."""

SERVING_IMAGES = tuple(
    Image(pattern, entrypoint=(sys.executable, "-m", "pinnace.serving.server", "--format", fmt))
    for image, fmt in MODEL_SERVERS
    for pattern in (f"{image}", f"{image}:*", f"*/{image}", f"*/{image}:*")
) + tuple(
    Image(pattern, entrypoint=(sys.executable, "-m", "pinnace.serving.storage"))
    for pattern in ("kserve/storage-initializer*", "*/kserve/storage-initializer*")
)
"""KServe's storage-initializer image: `args: [URI, DEST]` fetches the model into DEST."""

IMAGES: tuple[Image, ...] = (
    tuple(
        Image(pattern, entrypoint=JUPYTER_LAB, env=NOTEBOOK_ENV)
        for pattern in (
            "kubeflownotebookswg/jupyter*",  # jupyter, jupyter-scipy, jupyter-pytorch-*, ...-full
            "*/kubeflownotebookswg/jupyter*",  # the same through a registry mirror
            "*/notebook-servers/jupyter*",  # ghcr.io/kubeflow/kubeflow/notebook-servers/jupyter-*
            "jupyter/*-notebook*",  # Jupyter Docker Stacks (jupyter/scipy-notebook:...)
            "*/jupyter/*-notebook*",  # quay.io/jupyter/scipy-notebook
        )
    )
    + tuple(Image(pattern, entrypoint=PAUSE) for pattern in PAUSE_IMAGES)
    + SERVING_IMAGES
)
"""The built-in table: Kubeflow's and Jupyter's notebook images start JupyterLab; the pause
image sleeps until it is stopped (a pod of pause containers is Running and Ready); KServe's
model-server images start pinnace's model server."""


@dataclass(frozen=True, slots=True)
class Environments:
    """Image glob → venv directory, then the image table; anything unmatched runs in `default`."""

    mapping: tuple[tuple[str, Path], ...] = ()
    default: Path = field(default_factory=platform_prefix)
    images: tuple[Image, ...] = IMAGES

    def image_for(self, image: str) -> Image | None:
        """The first table row for `image`, if any."""
        return next((row for row in self.images if row.matches(image)), None)

    def venv_for(self, image: str) -> Path:
        for pattern, venv in self.mapping:
            if fnmatch.fnmatchcase(image, pattern):
                return venv
        row = self.image_for(image)
        if row is not None and row.venv is not None:
            return row.venv
        return self.default

    def environ(self, image: str, inherited_path: str | None = None) -> dict[str, str]:
        """The image's ENV, PATH and VIRTUAL_ENV for a container of `image`."""
        venv = self.venv_for(image)
        path = inherited_path if inherited_path is not None else os.environ.get("PATH")
        row = self.image_for(image)
        return {
            **dict(row.env if row is not None else ()),
            "PATH": f"{venv / 'bin'}{os.pathsep}{path or DEFAULT_PATH}",
            "VIRTUAL_ENV": str(venv),
        }

    def argv(self, image: str, command: list[str], args: list[str]) -> list[str]:
        """The process argv before `$(VAR)` expansion, as the kubelet combines them.

        `command` replaces the image's entrypoint and CMD; `args` alone replace
        the CMD (so for an image the table does not know, `args` are the whole
        argv, as for `kubectl run --image=python -- python3 -c ...`). Raises
        `NoEntrypoint` when there is nothing to run.
        """
        if command:
            return [*command, *args]
        row = self.image_for(image) or Image(image)  # unknown: no ENTRYPOINT, no CMD
        argv = [*row.entrypoint, *(args or row.cmd)]
        if not argv:
            raise NoEntrypoint(
                f"no command specified and image {image!r} has no entrypoint in pinnace's image"
                " table: give the container a command, or use an image the table knows"
                " (docs/design/notebooks.md)"
            )
        return argv

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
