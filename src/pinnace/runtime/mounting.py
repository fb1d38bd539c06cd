"""volumeMounts without mount namespaces: views, host links and path rewriting.

A local process sees the host's file system, so a `mountPath` cannot be a real
mount. `plan` resolves each mount to a source directory (the volume dir from
`volumes`, plus `subPath`), then the container gets, in this order of trust:

1. a *view*: `<pod>/<container>/_root/<mountPath>` is a symlink to the source,
   so every mount of a container exists under one private root;
2. *rewriting*: command, args and env values that name a path under a
   mountPath (`/tmp/outputs/x`, `--dir=/data`) are rewritten to the view, and a
   workingDir under a mountPath becomes the view path (the notebook's
   /home/jovyan); this is what isolates two pods mounting the same path;
3. *host links* (optional): when the absolute mountPath does not exist and
   its parent is writable, it is created as a symlink to the source, for
   programs that hard-code a path. It is removed with the pod; if the path is
   taken (a real dir, another pod's link), `link_host` reports it and the pod
   gets a Warning event instead.

`readOnly` is not enforced (the agent runs as root); docs/design/runtime.md.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pinnace.kits.kube.objects import Object
from pinnace.runtime import layouts


@dataclass(frozen=True, slots=True)
class Mount:
    mount_path: str
    source: Path
    read_only: bool
    view: Path


def plan(container: Object, volume_dirs: Mapping[str, Path], *, pod_dir: Path) -> list[Mount]:
    """Each volumeMount of `container` with its source and view (both created)."""
    root = layouts.view_dir(pod_dir, str(container.get("name") or ""))
    mounts = []
    for vm in container.get("volumeMounts") or []:
        source = volume_dirs.get(str(vm.get("name") or ""))
        if source is None:
            continue  # validation's job; a dangling mount is simply absent
        sub = str(vm.get("subPath") or "").strip("/")
        if sub:
            source = source / sub
            if not source.exists():
                source.mkdir(parents=True, exist_ok=True)
        mount_path = "/" + str(vm.get("mountPath") or "").strip("/")
        view = root / mount_path.lstrip("/")
        view.parent.mkdir(parents=True, exist_ok=True)
        if view.is_symlink() and os.readlink(view) != str(source):
            view.unlink()
        if not view.is_symlink():
            view.symlink_to(source, target_is_directory=source.is_dir())
        mounts.append(Mount(mount_path, source, bool(vm.get("readOnly")), view))
    return mounts


def rewrite(text: str, mounts: Sequence[Mount]) -> str:
    """`text` with a leading mountPath (also after `=`) replaced by the mount's view."""
    for mount in sorted(mounts, key=lambda m: len(m.mount_path), reverse=True):
        if mount.mount_path == "/":
            continue
        head, eq, tail = text.rpartition("=") if "=" in text else ("", "", text)
        if tail == mount.mount_path or tail.startswith(mount.mount_path + "/"):
            return head + eq + str(mount.view) + tail[len(mount.mount_path) :]
    return text


def working_dir(container: Object, mounts: Sequence[Mount], *, pod_dir: Path) -> Path:
    """The process's cwd: the pod's work dir by default, a view under a mount, else the path
    itself when it exists, else a fresh dir under the container's view root."""
    wanted = str(container.get("workingDir") or "")
    if not wanted:
        path = layouts.work_dir(pod_dir)
    else:
        wanted = "/" + wanted.strip("/")
        rewritten = rewrite(wanted, mounts)
        if rewritten != wanted:
            path = Path(rewritten)
        elif Path(wanted).is_dir():
            path = Path(wanted)
        else:
            path = layouts.view_dir(pod_dir, str(container.get("name") or "")) / wanted[1:]
    path.mkdir(parents=True, exist_ok=True)
    return path


_HOST_SHARED = frozenset({Path("/dev/shm")})
"""Mount paths left to the host: every Kubeflow notebook mounts a Memory emptyDir there."""


def link_host(
    mounts: Iterable[Mount], *, data_dir: Path
) -> tuple[list[tuple[str, str]], list[str]]:
    """Create host symlinks at free mountPaths; returns ((link, source) made or kept, problems)."""
    made: list[tuple[str, str]] = []
    problems: list[str] = []
    for mount in mounts:
        path = Path(mount.mount_path)
        if path in _HOST_SHARED:
            continue  # the host's own shared memory serves the pod as its /dev/shm would
        if path == Path("/"):
            continue
        if path.is_symlink():
            target = os.readlink(path)
            if target == str(mount.source):
                made.append((mount.mount_path, target))
                continue
            if target.startswith(str(data_dir)) and not Path(target).exists():
                path.unlink()  # a dead pod's link
            else:
                problems.append(f"{path} is in use (-> {target}); the volume is at {mount.view}")
                continue
        elif path.exists():
            problems.append(f"{path} exists on the host; the volume is at {mount.view}")
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(mount.source, target_is_directory=True)
            made.append((mount.mount_path, str(mount.source)))
        except OSError as exc:
            problems.append(f"cannot link {path}: {exc.strerror}; the volume is at {mount.view}")
    return made, problems


def unlink_host(links: Iterable[Sequence[str]]) -> None:
    """Remove the host links a pod made, unless they point elsewhere by now."""
    for link, source in links:
        path = Path(link)
        with contextlib.suppress(OSError):
            if path.is_symlink() and os.readlink(path) == source:
                path.unlink()
