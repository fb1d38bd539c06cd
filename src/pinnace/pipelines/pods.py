"""A task pod: one attempt of one task execution, named deterministically, owned by its run.

The engine (`advancing`) asks for pods as `PodRequest`s; the run controller
turns each into a manifest with `manifest()` and creates it. The name is a
function of (run, task id, attempt), so a repeated reconcile — or one after
`kill -9` of the platform — finds the pod it already made instead of
starting the task twice. The container runs the launcher
(`python -m pinnace.pipelines.launcher`) in the executor's image; on this
machine the runtime maps the image to a Python environment.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from pinnace.kits.kube import objects
from pinnace.kits.kube.objects import Object
from pinnace.pipelines import launches, platforms, specs, states

LAUNCHER = ("python", "-m", "pinnace.pipelines.launcher")
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def slug(text: str, limit: int) -> str:
    out = _UNSAFE.sub("-", text.lower()).strip("-")
    return out[:limit].rstrip("-") or "x"


def pod_name(run: str, task_id: str, attempt: int) -> str:
    """`<run>-<task>-<hash>`: ≤ 63 characters, stable for (run, task id, attempt)."""
    digest = hashlib.sha256(f"{run}\0{task_id}\0{attempt}".encode()).hexdigest()[:8]
    task = task_id.rsplit("/", 1)[-1]
    return f"{slug(run, 30)}-{slug(task, 22)}-{digest}"


@dataclass(frozen=True, slots=True)
class PodRequest:
    task_id: str
    task: str
    attempt: int
    name: str
    container: specs.Container
    launch: launches.Launch
    settings: platforms.PodSettings = field(default_factory=platforms.PodSettings)
    """From the kfp-kubernetes platform spec: env, volumes, metadata, deadline."""


def manifest(
    req: PodRequest, run: Object, *, service_account: str = "", node_name: str = ""
) -> Object:
    """The task pod; `node_name` binds it at creation (no scheduler round trip)."""
    c = req.container
    extra = req.settings
    env: list[Object] = [{"name": k, "value": v} for k, v in c.env]
    env += extra.env
    env.append({"name": launches.ENV, "value": req.launch.to_json()})
    resources: dict[str, dict[str, str]] = {}
    r = c.resources
    for kind, cpu, memory in (
        ("requests", r.cpu_request, r.memory_request),
        ("limits", r.cpu_limit, r.memory_limit),
    ):
        values = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
        if values:
            resources[kind] = values
    container: Object = {
        "name": states.CONTAINER,
        "image": c.image,
        "command": list(LAUNCHER),
        "env": env,
    }
    if resources:
        container["resources"] = resources
    if extra.mounts:
        container["volumeMounts"] = list(extra.mounts)
    spec: Object = {"restartPolicy": "Never", "containers": [container]}
    if extra.volumes:
        spec["volumes"] = list(extra.volumes)
    if extra.active_deadline_seconds:
        spec["activeDeadlineSeconds"] = extra.active_deadline_seconds
    if service_account:
        spec["serviceAccountName"] = service_account
    if node_name:
        spec["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": req.name,
            "namespace": objects.namespace_of(run),
            "labels": {
                **extra.labels,
                states.LABEL_RUN: slug(objects.name_of(run), 63),
                states.LABEL_TASK: slug(req.task, 63),
                states.LABEL_ATTEMPT: str(req.attempt),
            },
            "annotations": {**extra.annotations, states.ANNOTATION_TASK_ID: req.task_id},
            "ownerReferences": [objects.owner_reference(run)],
        },
        "spec": spec,
    }
