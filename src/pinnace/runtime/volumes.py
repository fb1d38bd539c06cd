"""Pod volumes as directories.

`prepare` is called by `pods` before the first container starts (and again
before each start, to pick up a ConfigMap or Secret that appeared): it gives
every volume of the pod a directory and fills it.

    emptyDir               <pod>/_volumes/<name>/, removed with the pod
    configMap, secret      the same, with one file per key (`items`: key → path,
                           `defaultMode`/`mode`); secret data base64-decoded
    downwardAPI/projected  files from fieldRef / configMap / secret sources
    persistentVolumeClaim  <data>/volumes/<ns>/<claim>/, outlives its pods
    hostPath               the path itself

How containers see them at their `mountPath` is `mounting`'s job. A missing
ConfigMap/Secret/PVC raises `MountError`: the container waits (ContainerCreating).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pinnace.api import kinds
from pinnace.kits.kube.objects import Object, namespace_of
from pinnace.kits.kube.resources import ResourceType
from pinnace.runtime import envs, layouts


class MountError(Exception):
    """A volume's source is missing (the pod stays ContainerCreating and is retried)."""


async def prepare(
    pod: Object, *, layout: layouts.Layout, lookup: envs.Lookup, facts: envs.Facts
) -> dict[str, Path]:
    """Create and fill every volume of `pod`; returns volume name → directory."""
    pod_dir = layout.pod_dir(pod)
    namespace = namespace_of(pod)
    dirs: dict[str, Path] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = str(volume.get("name") or "")
        target = layouts.volume_dir(pod_dir, name)
        if "persistentVolumeClaim" in volume:
            claim = str(volume["persistentVolumeClaim"].get("claimName") or "")
            if await lookup(kinds.PERSISTENTVOLUMECLAIMS, namespace, claim) is None:
                raise MountError(f'persistentvolumeclaim "{claim}" not found')
            target = layout.claim_dir(namespace, claim)
            _mkdir(target)
        elif "hostPath" in volume:
            target = Path(volume["hostPath"].get("path") or "/")
            if volume["hostPath"].get("type") in ("DirectoryOrCreate", None, ""):
                with contextlib.suppress(OSError):
                    _mkdir(target)
        elif "configMap" in volume or "secret" in volume:
            files = await _key_files(volume, namespace, lookup)
            _project(target, files)
        elif "downwardAPI" in volume:
            _project(target, _downward_files(volume["downwardAPI"], pod, facts))
        elif "projected" in volume:
            files = {}
            for source in volume["projected"].get("sources") or []:
                if "downwardAPI" in source:
                    files.update(_downward_files(source["downwardAPI"], pod, facts))
                elif "configMap" in source or "secret" in source:
                    files.update(await _key_files(source, namespace, lookup))
            _project(target, files)
        else:  # emptyDir, and kinds with no local meaning get an empty dir too
            _mkdir(target)
        dirs[name] = target
    return dirs


def remove_pod_volumes(pod_dir: Path) -> None:
    """Delete the pod's own volume dirs (PVC and hostPath dirs are left alone)."""
    shutil.rmtree(pod_dir / "_volumes", ignore_errors=True)


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


async def _key_files(
    volume: Mapping[str, Any], namespace: str, lookup: envs.Lookup
) -> dict[str, tuple[bytes, int]]:
    """configMap/secret source → relative path → (content, mode)."""
    kind: ResourceType
    if "configMap" in volume:
        source, kind, name_field = volume["configMap"], kinds.CONFIGMAPS, "name"
    else:
        source, kind, name_field = volume["secret"], kinds.SECRETS, "secretName"
    name = str(source.get(name_field) or source.get("name") or "")
    obj = await lookup(kind, namespace, name)
    if obj is None:
        if source.get("optional"):
            return {}
        raise MountError(f'{kind.kind.lower()} "{name}" not found')
    data: dict[str, bytes] = {}
    if kind is kinds.SECRETS:
        data = {k: v.encode() for k, v in envs.secret_strings(obj).items()}
    else:
        data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    mode = int(source.get("defaultMode") or 0o644)
    items = source.get("items")
    if not items:
        return {key: (value, mode) for key, value in data.items()}
    files: dict[str, tuple[bytes, int]] = {}
    for item in items:
        key = str(item.get("key") or "")
        if key not in data:
            if source.get("optional"):
                continue
            raise MountError(f"configmap/secret {name}: key {key!r} not found")
        files[str(item.get("path") or key)] = (data[key], int(item.get("mode") or mode))
    return files


def _downward_files(
    source: Mapping[str, Any], pod: Object, facts: envs.Facts
) -> dict[str, tuple[bytes, int]]:
    mode = int(source.get("defaultMode") or 0o644)
    files = {}
    for item in source.get("items") or []:
        if "fieldRef" in item:
            value = envs.field_value(pod, str(item["fieldRef"].get("fieldPath") or ""), facts)
            files[str(item.get("path"))] = (value.encode(), int(item.get("mode") or mode))
    return files


def _project(target: Path, files: Mapping[str, tuple[bytes, int]]) -> None:
    """Write `files` under `target`, each atomically (a reader never sees half a file)."""
    _mkdir(target)
    for rel, (content, mode) in files.items():
        path = (target / rel).resolve()
        if not path.is_relative_to(target.resolve()):
            raise MountError(f"item path {rel!r} leaves the volume")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode & 0o777)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, mode & 0o777)
        os.replace(tmp, path)
