"""Where the runtime keeps things in the data dir.

    <data>/pods/<ns>_<name>_<uid>/      one dir per pod (`pod_dir`), removed with the pod
        record.json                     runtime state (`records`)
        _work/                          default working dir of its containers
        _volumes/<volume>/              emptyDir, configMap, secret, downwardAPI volumes
        <container>/<restart>.log       stdout+stderr of one run (`logs`), + `.log.ts` index
        <container>/_root/<mountPath>   symlinks: the container's view of its mounts
    <data>/volumes/<ns>/<claim>/        persistentVolumeClaim dirs: they outlive pods

Container names are DNS labels, so they never collide with the `_`-prefixed
entries. Every runtime module takes paths from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pinnace.kits.kube.objects import Object, name_of, namespace_of, uid_of


@dataclass(frozen=True, slots=True)
class Layout:
    data_dir: Path

    @property
    def pods_dir(self) -> Path:
        return self.data_dir / "pods"

    @property
    def claims_dir(self) -> Path:
        return self.data_dir / "volumes"

    def pod_dir(self, pod: Object) -> Path:
        return self.pods_dir / f"{namespace_of(pod)}_{name_of(pod)}_{uid_of(pod)}"

    def claim_dir(self, namespace: str, claim: str) -> Path:
        return self.claims_dir / namespace / claim


def work_dir(pod_dir: Path) -> Path:
    return pod_dir / "_work"


def volume_dir(pod_dir: Path, volume: str) -> Path:
    return pod_dir / "_volumes" / volume


def container_dir(pod_dir: Path, container: str) -> Path:
    return pod_dir / container


def view_dir(pod_dir: Path, container: str) -> Path:
    """The root of a container's view of its mounts."""
    return pod_dir / container / "_root"


def record_path(pod_dir: Path) -> Path:
    return pod_dir / "record.json"
